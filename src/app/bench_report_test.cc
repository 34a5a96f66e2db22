#include "app/bench_report.h"

#include <gtest/gtest.h>

namespace stepup {
namespace {

Device BenchPhone(const std::string& mac, const std::string& state, const std::string& fw) {
  Device d;
  d.mac = mac;
  d.model = "SPA504G";
  d.state = state;
  d.firmware = fw;
  d.settings["group"] = "bench";
  d.created = 1000;
  return d;
}

TEST(BenchReport, ARowSaysWhereThePhoneBeganWhatItTookAndWhereItWent) {
  Device d = BenchPhone("58bfea120000", kStateHandedOff, "7.6.1");
  const std::vector<Event> events = {
      {1000000, "operator", "enrolled", "cli", ""},
      {1001000, "request", "GET /spa504G.cfg", "tftp", "127.1.0.1:1"},
      {1001100, "firmware", "runs 7.3.7", "http", "127.1.0.1:2"},
      {1001200, "hop-offered", "7.5.2b (7.5.2b), offer 1", "http", "127.1.0.1:2"},
      {1002000, "hop-completed", "7.5.2b", "http", "127.1.0.1:3"},
      {1003000, "hop-completed", "7.6.1", "http", "127.1.0.1:4"},
      {1003500, "handed-off", "Profile_Rule now http://prod/x", "http", "127.1.0.1:4"}};
  ReportRow r = ReportFor(d, events);
  EXPECT_EQ(r.start, "7.3.7");
  EXPECT_EQ(r.final, "7.6.1");
  EXPECT_EQ(r.hops, (std::vector<std::string>{"7.5.2b", "7.6.1"}));
  EXPECT_EQ(r.result, "handed-off");
  EXPECT_EQ(r.reason, "Profile_Rule now http://prod/x");
  EXPECT_EQ(r.group, "bench");
  EXPECT_DOUBLE_EQ(r.seconds, 2.5);  // first request to hand-off; the operator's event is not it
  const std::string csv = ReportCsv({r});
  EXPECT_NE(csv.find("\n58bfea120000,,SPA504G,,7.3.7,7.6.1,2,handed-off,2.5,"), std::string::npos)
      << csv;
  auto j = ReportJson({r});
  EXPECT_EQ(j["totals"]["by_result"]["handed-off"], 1);
  EXPECT_NE(ReportHtml({r}, "t").find("data-key=\"handed-off\" data-count=\"1\""),
            std::string::npos);
}

TEST(BenchReport, TheLiveTableListsTheGroupsPhonesStillWalkingFirst) {
  std::vector<Device> devices = {BenchPhone("58bfea120000", kStateHandedOff, "7.6.1"),
                                 BenchPhone("58bfea120001", kStateUpgrading, "7.3.7"),
                                 BenchPhone("58bfea120002", kStateStuck, "7.3.7")};
  devices[1].pending_load = "7.5.2b";
  Device other = BenchPhone("58bfea120003", kStateUpgrading, "");
  other.settings["group"] = "elsewhere";
  devices.push_back(other);
  const std::string t = BenchTable(devices, "bench", 1042, 2);
  EXPECT_EQ(t.substr(0, t.find('\n')),
            "bench bench: 3 phones, handed-off 1, stuck 1, upgrading 1");
  EXPECT_NE(t.find("58bfea120001"), std::string::npos);
  EXPECT_NE(t.find("7.5.2b"), std::string::npos);
  EXPECT_LT(t.find("58bfea120001"), t.find("58bfea120002"));
  EXPECT_EQ(t.find("58bfea120000"), std::string::npos);  // two rows: the finished one waits
  EXPECT_NE(t.find("... and 1 more"), std::string::npos);
  EXPECT_EQ(t.find("58bfea120003"), std::string::npos);  // not on this bench
  EXPECT_NE(t.find("      42\n"), std::string::npos) << t;  // seconds since it joined
}

}  // namespace
}  // namespace stepup
