#include "core/csv.h"

namespace stepup {

Result<CsvTable> ParseCsv(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<std::vector<std::string>> records;
  std::vector<int> lines;
  std::vector<std::string> record;
  std::string field;
  int line = 1, record_line = 1;
  bool quoted = false, was_quoted = false, any = false;
  auto end_field = [&] {
    record.push_back(std::move(field));
    field.clear();
    was_quoted = false;
  };
  auto end_record = [&] {
    end_field();
    bool blank = record.size() == 1 && record[0].empty() && !any;
    if (!blank) {
      records.push_back(std::move(record));
      lines.push_back(record_line);
    }
    record.clear();
    any = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\0') {
      return BadInput("CSV line " + std::to_string(line) + ", column " +
                      std::to_string(record.size() + 1) + ": NUL byte");
    }
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
      continue;
    }
    if (record.empty() && field.empty() && !any) record_line = line;
    switch (c) {
      case '"':
        if (!field.empty() || was_quoted) {
          return BadInput("CSV line " + std::to_string(line) + ", column " +
                          std::to_string(record.size() + 1) + ": a quote inside an unquoted field");
        }
        quoted = was_quoted = any = true;
        break;
      case ',':
        end_field();
        any = true;
        break;
      case '\r':
        if (i + 1 < text.size() && text[i + 1] == '\n') break;
        [[fallthrough]];
      case '\n':
        end_record();
        ++line;
        break;
      default:
        if (was_quoted) {
          return BadInput("CSV line " + std::to_string(line) + ", column " +
                          std::to_string(record.size() + 1) + ": text after a closing quote");
        }
        field.push_back(c);
        any = true;
    }
  }
  if (quoted)
    return BadInput("CSV line " + std::to_string(record_line) + ": a quoted field is never closed");
  if (!field.empty() || !record.empty() || any) end_record();
  if (records.empty()) return BadInput("CSV: no header row");
  CsvTable t;
  t.header = std::move(records[0]);
  for (size_t r = 1; r < records.size(); ++r) {
    if (records[r].size() != t.header.size()) {
      return BadInput("CSV line " + std::to_string(lines[r]) + ": " +
                      std::to_string(records[r].size()) + " fields, the header has " +
                      std::to_string(t.header.size()));
    }
    t.rows.push_back(std::move(records[r]));
    t.row_lines.push_back(lines[r]);
  }
  return t;
}

}  // namespace stepup
