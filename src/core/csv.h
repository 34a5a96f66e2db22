// RFC 4180 CSV: a pure parser with errors that name the row and column.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace stepup {

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // each as wide as the header
  std::vector<int> row_lines;                  // line number of each row in the file (1 = header)
};

// Parses CSV text: a header row, then rows of the same width; quoted fields may hold commas,
// quotes ("") and line breaks; CRLF or LF; a UTF-8 BOM is skipped; blank lines are ignored.
Result<CsvTable> ParseCsv(std::string_view text);

}  // namespace stepup
