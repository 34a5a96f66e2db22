// The device setting `require` (issue 16, item 4): the server's plan for a device that
// requires MRA ends on a release whose trust store meets it, as `stepup plan --require mra`.
#include "app/device_profile.h"

#include <gtest/gtest.h>

#include "app/device_input.h"
#include "core/bundled_catalog_fixture.h"

namespace stepup {
namespace {

constexpr int64_t k2024 = 1704067200;  // 2024-01-01

class DeviceRequireTest : public testing::BundledCatalogTest {
 protected:
  static ProfileSetup ServerSetup() {
    ProfileSetup s;
    s.catalog = cat_;
    s.now = k2024;
    return s;
  }
  static Device Phone(const std::string& model, const std::string& firmware,
                      const std::string& target) {
    Device d;
    d.mac = "00562b043615";
    d.model = model;
    d.firmware = firmware;
    d.target = target;
    return d;
  }
};

TEST_F(DeviceRequireTest, SettingRequireMraSendsTheDevicePastTwelveSeven) {
  Device d = Phone("CP-8841", "sip88xx.12-7-1-0001-393", "12.7(1)");
  auto plain = PlanForDevice(ServerSetup(), d, "");
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(plain->status, PlanStatus::kCurrent);  // at its target, MRA or not

  d.settings[kRequireSetting] = "mra";
  auto p = PlanForDevice(ServerSetup(), d, "");
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->status, PlanStatus::kOk) << p->reason;
  EXPECT_EQ(p->require, (std::vector<std::string>{"mra"}));
  EXPECT_EQ(p->hops.front().load->load, "sip88xx.12-8-1-0001-455");
  EXPECT_EQ(p->to_load, "sip88xx.12-8-1-0001-455");
}

TEST_F(DeviceRequireTest, BadRequireSettingIsAnErrorNamingIt) {
  Device d = Phone("CP-8841", "sip88xx.12-7-1-0001-393", "latest");
  d.settings[kRequireSetting] = "mra,vpn";
  auto p = PlanForDevice(ServerSetup(), d, "");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().kind, ErrorKind::kBadInput);
  EXPECT_NE(p.error().message.find("setting require: unknown capability \"vpn\""),
            std::string::npos)
      << p.error().message;

  // Enrolment refuses it up front, as it refuses a SPA that requires MRA.
  DeviceFields f{.mac = "00:56:2b:04:36:15", .model = "CP-8841"};
  f.settings["require"] = "vpn";
  auto bad = MakeDevice(*cat_, f, k2024);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("--set: "), std::string::npos) << bad.error().message;
  f.model = "SPA504G";
  f.settings["require"] = "mra";
  bad = MakeDevice(*cat_, f, k2024);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("mra does not apply to SPA504G"), std::string::npos)
      << bad.error().message;
  f.model = "CP-8841";
  auto good = MakeDevice(*cat_, f, k2024);
  ASSERT_TRUE(good.ok()) << good.error().message;
  EXPECT_EQ(good->settings.at("require"), "mra");
}

}  // namespace
}  // namespace stepup
