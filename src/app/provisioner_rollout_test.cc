// Rollout groups in the walk (issue 18, item 4): a group's target, its pause and its window,
// and the resync triggers the provisioner sends when the group opens again.
#include <algorithm>

#include "app/provisioner_fixture.h"

namespace stepup {
namespace {

class RolloutWalkTest : public ProvisionerTest {
 protected:
  void SetUp() override {
    ProvisionerTest::SetUp();
    Make({}, [this](ProvisionerConfig& c) {
      c.resync_phone = [this](const std::string& ip, const std::string& pw,
                              std::function<void(bool)> done) {
        triggered_.push_back(ip + " " + pw);
        done(true);
      };
    });
  }
  void Join(const std::string& mac, const std::string& group) {
    Device d = Stored(mac);
    d.settings[kGroupSetting] = group;
    ASSERT_TRUE(inv_->Update(d).ok());
  }
  void Put(RolloutGroup g) {
    ASSERT_TRUE(inv_->PutGroup(g).ok());
    prov_->GroupsChanged();
  }
  static bool Offers(const Response& r, const std::string& image) {
    return r.body.find("/firmware/" + image + "</Upgrade_Rule>") != std::string::npos;
  }
  std::vector<std::string> triggered_;
};

TEST_F(RolloutWalkTest, TheGroupsTargetIsWhereItsDevicesGo) {
  AddSpa("58bfea1104e6", "latest");
  Join("58bfea1104e6", "pilot");
  Put({.name = "pilot", .target = "7.5.2b"});
  Response r = Get("/spa504G.cfg", Spa("7.3.7"));
  EXPECT_TRUE(Offers(r, "spa50x-30x-7-5-2b.bin")) << r.body;
  Get("/cfg/58bfea1104e6.xml?sw=7.5.2b", Spa("7.5.2b"));
  Device d = Stored();
  EXPECT_EQ(d.state, kStateCurrent);  // at the group's target, not at latest
  EXPECT_EQ(d.target, "latest");      // its own target is what the operator stored
  // The plan the API shows follows the group as well.
  auto plan = prov_->PlanFor(d);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->status, PlanStatus::kCurrent);
}

TEST_F(RolloutWalkTest, APausedGroupGetsItsConfigurationButNoHopUntilResumed) {
  AddSpa();
  Join("58bfea1104e6", "pilot");
  Put({.name = "pilot", .paused = true});
  for (int i = 0; i < 4; ++i) {  // more than stuck_after requests: a hold is not "stuck"
    Response r = Get("/spa504G.cfg", Spa("7.3.7"));
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("<Upgrade_Enable ua=\"na\">No</Upgrade_Enable>"), std::string::npos);
    EXPECT_NE(r.body.find("pw-58bfea1104e6"), std::string::npos);  // its configuration
    EXPECT_TRUE(r.transient);  // never kept as a settled answer
  }
  Device d = Stored();
  EXPECT_EQ(d.pending_load, "");
  EXPECT_NE(d.state, kStateStuck);
  auto kinds = Kinds(d);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "rollout-held"), 1);  // said once
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "hop-offered"), 0);
  EXPECT_EQ(prov_->HeldBy("pilot"), 1u);

  prov_->Sweep();  // the group's state is noted: nothing changed, nothing sent
  EXPECT_TRUE(triggered_.empty());
  Put({.name = "pilot", .paused = false});
  prov_->Sweep();  // resumed: the phone is asked to resync, as admin with its password
  EXPECT_EQ(triggered_, std::vector<std::string>{"127.0.0.10 adm-58bfea1104e6"});
  Response r = Get("/spa504G.cfg", Spa("7.3.7"));
  EXPECT_TRUE(Offers(r, "spa50x-30x-7-5-2b.bin")) << r.body;
  EXPECT_EQ(prov_->HeldBy("pilot"), 0u);
  kinds = Kinds(Stored());
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "resync-sent"), 1);
}

TEST_F(RolloutWalkTest, HopsAreOfferedOnlyInsideTheWindowAndItsOpeningTriggersThePhones) {
  AddSpa();
  Join("58bfea1104e6", "night");
  now_ms_ = (int64_t{20000} * 86400 + 12 * 3600) * 1000;  // noon UTC
  Put({.name = "night", .window = "22:00-05:00"});
  Response day = Get("/spa504G.cfg", Spa("7.3.7"));
  EXPECT_FALSE(Offers(day, "spa50x-30x-7-5-2b.bin"));
  prov_->Sweep();
  EXPECT_TRUE(triggered_.empty());
  now_ms_ += 10 * 3600 * 1000;  // 22:00
  prov_->Sweep();
  EXPECT_EQ(triggered_.size(), 1u);  // the window opened
  Response night = Get("/spa504G.cfg", Spa("7.3.7"));
  EXPECT_TRUE(Offers(night, "spa50x-30x-7-5-2b.bin")) << night.body;
  prov_->Sweep();
  EXPECT_EQ(triggered_.size(), 1u);  // once per opening
}

TEST_F(RolloutWalkTest, ResyncNowAsksOnlyPhonesNotAtTargetWithAnAddress) {
  for (const char* mac : {"58bfea1104e6", "58bfea1104e7", "58bfea1104e8"}) {
    Device d;
    d.mac = mac;
    d.model = "SPA504G";
    d.target = "7.6.1";
    d.settings = {{"admin_password", std::string("adm-") + mac}};
    ASSERT_TRUE(inv_->Add(d).ok());
  }
  AddEnterprise();
  for (const char* mac : {"58bfea1104e6", "58bfea1104e7", "58bfea1104e8", "00270dc01c92"})
    Join(mac, "all");
  Put({.name = "all"});
  Get("/spa504G.cfg", "Cisco/SPA504G-7.3.7 (58BFEA1104E6)", "127.0.0.21");
  Get("/spa504G.cfg", "Cisco/SPA504G-7.6.1 (58BFEA1104E7)", "127.0.0.22");
  ASSERT_EQ(Stored("58bfea1104e7").state, kStateCurrent);
  const ResyncSummary r = prov_->TriggerGroup("all", "operator asked");
  EXPECT_EQ(r.sent, 1);
  EXPECT_EQ(r.settled, 1);     // at target
  EXPECT_EQ(r.no_address, 1);  // never seen
  EXPECT_EQ(r.cannot, 1);      // the 7970G: no remote resync without call control
  EXPECT_EQ(triggered_, std::vector<std::string>{"127.0.0.21 adm-58bfea1104e6"});
}

}  // namespace
}  // namespace stepup
