#include "net/http_wire.h"

#include <gtest/gtest.h>

namespace stepup {
namespace {

// "first-last" of a satisfiable range, "416" for an unsatisfiable one, "none" when ignored.
std::string Range(std::string_view header, uint64_t size) {
  auto r = ParseRange(header, size);
  if (!r) return "none";
  if (!r->valid) return "416";
  return std::to_string(r->first) + "-" + std::to_string(r->last);
}

TEST(HttpWireRange, NoHeaderMeansTheWholeFile) { EXPECT_EQ(Range("", 100), "none"); }

TEST(HttpWireRange, ClosedRangeWithinTheFile) {
  EXPECT_EQ(Range("bytes=0-0", 100), "0-0");
  EXPECT_EQ(Range("bytes=10-19", 100), "10-19");
  EXPECT_EQ(Range("bytes=0-99", 100), "0-99");
}

TEST(HttpWireRange, OpenRangeRunsToTheEnd) {
  EXPECT_EQ(Range("bytes=10-", 100), "10-99");
  EXPECT_EQ(Range("bytes=99-", 100), "99-99");
}

TEST(HttpWireRange, LastBytePastTheEndIsCutAtTheEnd) {
  EXPECT_EQ(Range("bytes=90-1000", 100), "90-99");
  EXPECT_EQ(Range("bytes=0-18446744073709551615", 100), "0-99");
  EXPECT_EQ(Range("bytes=0-99999999999999999999999", 100), "0-99");  // past uint64 too
}

TEST(HttpWireRange, SuffixRangeIsTheLastBytes) {
  EXPECT_EQ(Range("bytes=-1", 100), "99-99");
  EXPECT_EQ(Range("bytes=-10", 100), "90-99");
  EXPECT_EQ(Range("bytes=-100", 100), "0-99");
  EXPECT_EQ(Range("bytes=-5000", 100), "0-99");  // longer than the file: all of it
}

TEST(HttpWireRange, FirstBytePastTheEndIsUnsatisfiable) {
  EXPECT_EQ(Range("bytes=100-", 100), "416");
  EXPECT_EQ(Range("bytes=100-200", 100), "416");
  EXPECT_EQ(Range("bytes=99999999999999999999999-", 100), "416");
  EXPECT_EQ(Range("bytes=0-", 0), "416");  // nothing to send from an empty file
  EXPECT_EQ(Range("bytes=-5", 0), "416");
}

TEST(HttpWireRange, EmptySuffixIsUnsatisfiable) { EXPECT_EQ(Range("bytes=-0", 100), "416"); }

TEST(HttpWireRange, MalformedRangesAreRefused) {
  for (std::string_view bad :
       {"bytes=", "bytes=-", "bytes=abc", "bytes=5", "bytes=5-3", "bytes=1-2-3", "bytes= 1-2",
        "bytes=1 -2", "bytes=+1-2", "bytes=1-+2", "bytes=0x10-20", "bytes=--5"}) {
    EXPECT_EQ(Range(bad, 100), "416") << bad;
  }
}

TEST(HttpWireRange, UnitNamesAreCaseInsensitive) {
  EXPECT_EQ(Range("Bytes=1-2", 100), "1-2");
  EXPECT_EQ(Range("BYTES=-3", 100), "97-99");
}

TEST(HttpWireRange, OtherUnitsAreIgnoredNotRefused) {
  EXPECT_EQ(Range("items=0-5", 100), "none");
  EXPECT_EQ(Range("bytes", 100), "none");
  EXPECT_EQ(Range("garbage", 100), "none");
}

TEST(HttpWireRange, SeveralRangesAreAnsweredWithTheWholeFile) {
  EXPECT_EQ(Range("bytes=0-0,-1", 100), "none");
  EXPECT_EQ(Range("bytes=0-9, 20-29", 100), "none");
  EXPECT_EQ(Range("bytes=500-600,700-800", 100), "none");
}

TEST(HttpWireDate, FormatsImfFixdate) {
  EXPECT_EQ(HttpDate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(HttpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
}

TEST(HttpWireDate, ParsesWhatItFormats) {
  for (time_t t : {time_t{0}, time_t{784111777}, time_t{1700000000}, time_t{4102444799}}) {
    EXPECT_EQ(ParseHttpDate(HttpDate(t)), std::optional<time_t>(t)) << t;
  }
}

TEST(HttpWireDate, ParsesTheObsoleteFormsRecipientsMustAccept) {
  EXPECT_EQ(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), std::optional<time_t>(784111777));
  EXPECT_EQ(ParseHttpDate("Sun Nov  6 08:49:37 1994"), std::optional<time_t>(784111777));
}

TEST(HttpWireDate, GarbageIsNotADate) {
  for (const char* bad : {"", "yesterday", "0", "Sun, 06 Nov 1994", "Sun, 06 Nov 1994 08:49:37",
                          "Sun, 06 Nov 1994 08:49:37 GMT trailing", "Sun, 32 Nov 1994 08:49:37 GMT",
                          "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT",
                          "Sun, 06 Nov 1994 08:60:37 GMT", "Sun, 06 Nov 1994 08:49:37 PST",
                          "Sun, 06 Nov 1994 08:49:37 +0000", "1994-11-06T08:49:37Z"}) {
    EXPECT_EQ(ParseHttpDate(bad), std::nullopt) << bad;
  }
}

TEST(HttpWireLog, ValuesAreEscapedAndCut) {
  std::string out;
  AppendLogValue(out, "a b\"c\\d\x01\xff");
  EXPECT_EQ(out, "a%20b%22c%5Cd%01%FF");
  out.clear();
  AppendLogValue(out, "");
  EXPECT_EQ(out, "-");
  out.clear();
  AppendLogValue(out, std::string(300, 'x'), 200);
  EXPECT_EQ(out, std::string(200, 'x'));
}

}  // namespace
}  // namespace stepup
