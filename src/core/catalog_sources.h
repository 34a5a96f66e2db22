// Source strength: every fact must be no surer than the sources it cites. The catalog's
// [[source]] table gives each source tag ("WZ", "GH#", "seed") the strongest status it can
// support; a fact citing only weaker tags, or a file name citing nothing without being marked
// inferred, is a catalog problem. Pure; used by the loader (so `catalog check` reports it).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/catalog.h"

namespace stepup {

// The tags of `tags` that `source` cites (a tag matches where it is not part of a longer word;
// a tag ending in '#' or '(' matches as a prefix: "GH#123", "CD(...)").
std::vector<const SourceTag*> CitedTags(const std::vector<SourceTag>& tags,
                                        const std::string& source);

// A problem message when `status` is stronger than the strongest tag `source` cites; nullopt
// when it is not, or when the source cites no known tag (nothing to judge by).
std::optional<std::string> StatusExceedsSources(const std::vector<SourceTag>& tags,
                                                FactStatus status, const std::string& source);

// Every problem of this kind in a loaded catalog: families, models (and their profile limit),
// loads and their file and bundle names, rules, hardware floors, keys and roots. A load's own
// facts are checked by the loader where it reads them.
std::vector<std::string> CheckSourceStrength(const Catalog& cat);

}  // namespace stepup
