// Small text helpers shared across the domain.
#pragma once

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace stepup {

// ASCII lower case (names, MACs, load names compare case-insensitively).
inline std::string ToLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace stepup
