// The provisioner tests' fixture: the bundled catalog and templates, an in-memory inventory,
// a firmware directory with the seed images, and a clock the test moves.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "app/provisioner.h"
#include "core/catalog_loader.h"
#include "store/file_store.h"
#include "store/inventory.h"

namespace stepup {
namespace {
namespace fs = std::filesystem;

class ProvisionerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = LoadCatalog(BundledCatalog());
    ASSERT_TRUE(c.ok());
    cat_ = std::make_unique<Catalog>(std::move(c).value());
    auto r = Renderer::Create(BundledTemplates());
    ASSERT_TRUE(r.ok());
    renderer_ = std::make_unique<Renderer>(std::move(r).value());
    inv_ = NewMemoryInventory();
    dir_ = fs::temp_directory_path() /
           ("stepup-prov-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "firmware");
    fs::create_directories(dir_ / "files");
    for (const char* f : {"spa50x-30x-7-5-2b.bin", "spa50x-30x-7-6-1.bin", "SCCP70.8-5-2S.loads",
                          "cmterm-7970_7971-sccp.8-5-2.zip", "SIP70.9-4-2SR1-1S.loads"}) {
      std::ofstream(dir_ / "firmware" / f) << "image " << f;
    }
    for (const char* l : {"SIP70.9-4-2SR1-1S"}) {  // an image set without a bundle: all its files
      for (const auto& f : cat_->FindLoad("79-70", l)->files)
        std::ofstream(dir_ / "firmware" / f) << "image";
    }
    Make();
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Make(std::vector<std::string> auto_enroll = {},
            const std::function<void(ProvisionerConfig&)>& more = {}) {
    ProvisionerConfig cfg;
    cfg.catalog = cat_.get();
    cfg.renderer = renderer_.get();
    cfg.inventory = inv_.get();
    cfg.firmware = DirFileStore((dir_ / "firmware").string());
    cfg.extras = DirFileStore((dir_ / "files").string());
    cfg.now_ms = [this] { return now_ms_; };
    cfg.auto_enroll = std::move(auto_enroll);
    if (more) more(cfg);
    other_.reset();
    if (nodes_ == 2) {
      // Two nodes over one fleet: requests alternate between them (SharedTwoNodes suites).
      if (!shared_) shared_ = NewMemorySharedState();
      cfg.shared = shared_.get();
      other_ = std::make_unique<Provisioner>(cfg);
    }
    prov_ = std::make_unique<Provisioner>(std::move(cfg));
  }

  Device AddSpa(const std::string& mac = "58bfea1104e6", const std::string& target = "7.6.1") {
    Device d;
    d.mac = mac;
    d.serial = "CCQ16380FYH";
    d.model = "SPA504G";
    d.target = target;
    d.settings = {{"sip_password", "pw-" + mac}, {"admin_password", "adm-" + mac}};
    auto added = inv_->Add(d);
    EXPECT_TRUE(added.ok());
    return *added;
  }

  Response Get(const std::string& target, const std::string& ua = "",
               const std::string& ip = "127.0.0.10", const std::string& transport = "http") {
    Request r;
    r.transport = transport;
    r.target = target;
    r.user_agent = ua;
    r.peer_ip = ip;
    r.peer = ip + ":5060";
    now_ms_ += 1000;
    Response out = prov_->Handle(r);
    if (other_) std::swap(prov_, other_);  // the next request goes to the other node
    return out;
  }

  // The firmware directory changed: every node reads it again.
  void RescanFirmware() {
    prov_->RescanFirmware();
    if (other_) other_->RescanFirmware();
  }
  // A TFTP read request from `ip`.
  Response Tftp(const std::string& name, const std::string& ip = "127.0.0.10") {
    return Get("/" + name, "", ip, "tftp");
  }
  // A 7970G enrolled as an operator would (MAC, model, target) with a SIP line's secrets.
  Device AddEnterprise(const std::string& mac = "00270dc01c92") {
    Device d;
    d.mac = mac;
    d.model = "CP-7970G";
    d.firmware = "SCCP70.8-5-2S";
    d.target = "SIP70.9-4-2SR1-1S";
    d.settings = {{"sip_password", "pw-" + mac}, {"admin_password", "adm-" + mac}};
    auto added = inv_->Add(d);
    EXPECT_TRUE(added.ok());
    return *added;
  }

  static std::string Spa(const std::string& version) {
    return "Cisco/SPA504G-" + version + " (58BFEA1104E6)(CCQ16380FYH)";
  }
  Device Stored(const std::string& mac = "58bfea1104e6") { return **inv_->FindByMac(mac); }
  std::vector<std::string> Kinds(const Device& d) {
    std::vector<std::string> out;
    auto events = inv_->Events(d.id);  // keep the Result alive while iterating
    for (const auto& e : *events) out.push_back(e.kind);
    return out;
  }

  std::unique_ptr<Catalog> cat_;
  std::unique_ptr<Renderer> renderer_;
  std::unique_ptr<Inventory> inv_;
  std::unique_ptr<Provisioner> prov_;
  // With nodes_ == 2 (set before SetUp): a second provisioner sharing the fleet's state.
  int nodes_ = 1;
  std::unique_ptr<SharedState> shared_;
  std::unique_ptr<Provisioner> other_;
  fs::path dir_;
  int64_t now_ms_ = 1764028800000;
};

// A suite run twice: on one node, and on two nodes sharing the fleet's working state
// (app/shared_state.h) with requests alternating between them, which must walk every phone
// exactly as one node does.
template <class Base>
class OneAndTwoNodes : public Base, public ::testing::WithParamInterface<int> {
 protected:
  void SetUp() override {
    this->nodes_ = GetParam();
    Base::SetUp();
  }
};
inline std::string NodesName(const ::testing::TestParamInfo<int>& info) {
  return info.param == 1 ? "OneNode" : "TwoNodes";
}

}  // namespace
}  // namespace stepup
