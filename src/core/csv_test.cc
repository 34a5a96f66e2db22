#include "core/csv.h"

#include <gtest/gtest.h>

namespace stepup {
namespace {

TEST(Csv, ParsesQuotesCommasLineBreaksAndCrlf) {
  auto t = ParseCsv(
      "\xEF\xBB\xBFmac,model,display_name\r\n0002fdff2103,SPA504G,\"Desk, \"\"front\"\"\"\r\n\r\n"
      "58bfea1104e6,SPA504G,\"two\nlines\"\n");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->header, (std::vector<std::string>{"mac", "model", "display_name"}));
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_EQ(t->rows[0][2], "Desk, \"front\"");
  EXPECT_EQ(t->rows[1][2], "two\nlines");
  EXPECT_EQ(t->row_lines, (std::vector<int>{2, 4}));
  auto last = ParseCsv("a,b\n1,");  // no final newline, empty last field
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->rows[0], (std::vector<std::string>{"1", ""}));
}

TEST(Csv, ErrorsNameTheLineAndColumn) {
  struct Case {
    std::string text, expect;
  };
  for (const auto& c :
       std::vector<Case>{{"a,b\n1,2,3\n", "CSV line 2: 3 fields"},
                         {"a,b\n1,x\"y\n", "line 2, column 2: a quote inside"},
                         {"a,b\n1,\"x\"y\n", "line 2, column 2: text after a closing quote"},
                         {"a,b\n1,\"never closed\n", "line 2: a quoted field is never closed"},
                         {std::string("a,b\n1,x\0y\n", 10), "line 2, column 2: NUL byte"},
                         {"", "no header row"}}) {
    auto t = ParseCsv(c.text);
    ASSERT_FALSE(t.ok()) << c.text;
    EXPECT_NE(t.error().message.find(c.expect), std::string::npos) << t.error().message;
  }
}

}  // namespace
}  // namespace stepup
