#include "core/render.h"

#include <gtest/gtest.h>

#include <pugixml.hpp>

#include "core/catalog_loader.h"

namespace stepup {
namespace {

class RenderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto c = LoadCatalog(BundledCatalog());
    ASSERT_TRUE(c.ok()) << c.error().message;
    cat_ = new Catalog(std::move(c).value());
    auto r = Renderer::Create(BundledTemplates());
    ASSERT_TRUE(r.ok()) << r.error().message;
    renderer_ = new Renderer(std::move(r).value());
  }
  static void TearDownTestSuite() {
    delete cat_;
    delete renderer_;
  }

  // A device's render input with the planner's next hop from `running` to `to`.
  static RenderInput Input(const std::string& model, const std::string& running,
                           const std::string& to = "latest", Settings settings = {}) {
    RenderInput in;
    in.model = cat_->FindModel(model);
    in.family = cat_->FindFamily(in.model->family);
    in.mac = "0002fdff2103";
    in.serial = "CBT141400UK";
    in.base_url = "http://127.0.0.1:8069";
    in.running = running;
    in.settings = std::move(settings);
    auto plan = MakePlan(*cat_, PlanRequest{.model = model, .from = running, .to = to});
    EXPECT_TRUE(plan.ok()) << plan.error().message;
    in.next = plan->hops.empty() ? nullptr : plan->hops.front().load;
    in.target = cat_->FindLoad(in.model->family, plan->to_load);
    return in;
  }

  static pugi::xml_document Parse(const std::string& body) {
    pugi::xml_document doc;
    pugi::xml_parse_result r = doc.load_string(body.c_str());
    EXPECT_TRUE(r) << r.description() << "\n" << body;
    return doc;
  }

  static std::string Text(const pugi::xml_document& doc, const char* xpath) {
    return doc.select_node(xpath).node().text().get();
  }

  static Catalog* cat_;
  static Renderer* renderer_;
};
Catalog* RenderTest::cat_ = nullptr;
Renderer* RenderTest::renderer_ = nullptr;

TEST_F(RenderTest, SpaProfileOffersThePlannersNextHop) {
  auto r = renderer_->Profile(Input("SPA504G", "7.3.7", "7.6.1"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->file, "spa.xml");
  auto doc = Parse(r->body);
  EXPECT_EQ(Text(doc, "/flat-profile/Upgrade_Enable"), "Yes");
  EXPECT_EQ(Text(doc, "/flat-profile/Upgrade_Rule"),
            "http://127.0.0.1:8069/firmware/spa50x-30x-7-5-2b.bin");
  EXPECT_EQ(Text(doc, "/flat-profile/Upgrade_Error_Retry_Delay"), "30");
  EXPECT_EQ(Text(doc, "/flat-profile/Downgrade_Rev_Limit"), "7.3.7");
  const std::string rule = Text(doc, "/flat-profile/Profile_Rule");
  for (const char* macro : {"$MA", "$SN", "$SWVER", "$P"}) {
    EXPECT_NE(rule.find(macro), std::string::npos) << macro;
  }
  EXPECT_EQ(rule.rfind("http://127.0.0.1:8069/cfg/", 0), 0u) << rule;
  EXPECT_EQ(Text(doc, "/flat-profile/GPP_P"), "stepup");  // routine resync from now on
}

TEST_F(RenderTest, EachAttemptGetsADistinctUrlAndTheFloorSkipsTheLetter) {
  RenderInput in = Input("SPA504G", "7.5.2b", "7.6.1");
  in.attempt = 2;
  auto doc = Parse(renderer_->Profile(in)->body);
  EXPECT_EQ(Text(doc, "/flat-profile/Upgrade_Rule"),
            "http://127.0.0.1:8069/firmware/retry2/spa50x-30x-7-6-1.bin");
  // The phone cannot order 7.5.2b against 7.5.2b-style limits; 7.5.2 keeps it above 7.5.2.
  EXPECT_EQ(Text(doc, "/flat-profile/Downgrade_Rev_Limit"), "7.5.2");
}

TEST_F(RenderTest, AtTargetUpgradeIsDisabled) {
  auto doc = Parse(renderer_->Profile(Input("SPA504G", "7.6.1", "7.6.1"))->body);
  EXPECT_EQ(Text(doc, "/flat-profile/Upgrade_Enable"), "No");
  EXPECT_EQ(Text(doc, "/flat-profile/Upgrade_Rule"), "");
  EXPECT_EQ(Text(doc, "/flat-profile/Downgrade_Rev_Limit"), "7.6.1");
}

TEST_F(RenderTest, EnterpriseLoadInformationFollowsTheSeedChain) {
  RenderInput in = Input("CP-7970G", "SIP70.8-2-1S", "SIP70.9-4-2SR1-1S");
  auto r = renderer_->Profile(in);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->file, "sep.cnf.xml");
  auto doc = Parse(r->body);
  ASSERT_NE(in.next, nullptr);
  EXPECT_EQ(Text(doc, "/device/loadInformation"), in.next->load);
  EXPECT_EQ(Text(doc, "/device/deviceProtocol"),
            in.next->protocol == Protocol::kSccp ? "SCCP" : "SIP");
  // At target, the target load stays named so the phone keeps it.
  auto at =
      Parse(renderer_->Profile(Input("CP-7970G", "SIP70.9-4-2SR1-1S", "SIP70.9-4-2SR1-1S"))->body);
  EXPECT_EQ(Text(at, "/device/loadInformation"), "SIP70.9-4-2SR1-1S");
  EXPECT_EQ(Text(at, "/device/deviceProtocol"), "SIP");
}

TEST_F(RenderTest, MppUpgradeRulePointsAtTheLoadsFile) {
  RenderInput in = Input("CP-8841-3PCC", "sip88xx.11-3-1MSR3-3", "latest");
  auto r = renderer_->Profile(in);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->file, "mpp.xml");
  auto doc = Parse(r->body);
  const std::string rule = Text(doc, "/flat-profile/Upgrade_Rule");
  EXPECT_EQ(rule, "http://127.0.0.1:8069/firmware/" + in.next->load + ".loads");
}

TEST_F(RenderTest, HostileValuesAreEscapedAndTheOutputStaysWellFormed) {
  const std::string hostile = "<b>&amp; \"quoted\" 'single' Zoë \xE2\x9C\x93 \x01\x1f end</b>";
  Settings s = {{"display_name", hostile}, {"sip_password", "p<&>\"'"},
                {"sip_user", "]]>"},       {"Dial_Plan_1_", "(x<y)"},
                {"Bad><Name", "z"},        {"lower_key", "not an element"}};
  for (const auto& [model, running] :
       std::vector<std::pair<std::string, std::string>>{{"SPA504G", "7.3.7"},
                                                        {"CP-8841-3PCC", "sip88xx.11-3-1MSR3-3"},
                                                        {"CP-7970G", "SIP70.8-2-1S"}}) {
    auto r = renderer_->Profile(Input(model, running, "latest", s));
    ASSERT_TRUE(r.ok()) << model;
    auto doc = Parse(r->body);
    EXPECT_EQ(r->body.find("<b>"), std::string::npos) << model;
    EXPECT_EQ(r->body.find('\x01'), std::string::npos) << model;
  }
  auto doc = Parse(renderer_->Profile(Input("SPA504G", "7.6.1", "7.6.1", s))->body);
  EXPECT_EQ(Text(doc, "/flat-profile/Display_Name_1_"),
            "<b>&amp; \"quoted\" 'single' Zoë \xE2\x9C\x93  end</b>");
  EXPECT_EQ(Text(doc, "/flat-profile/Password_1_"), "p<&>\"'");
  EXPECT_EQ(Text(doc, "/flat-profile/Dial_Plan_1_"), "(x<y)");
  EXPECT_TRUE(doc.select_node("/flat-profile/lower_key").node().empty());
  EXPECT_EQ(XmlEscape("a\xff\xfe"), "a\xEF\xBF\xBD\xEF\xBF\xBD");  // malformed UTF-8 replaced
}

TEST_F(RenderTest, NoSecretOfOneDeviceAppearsInAnothersRender) {
  Settings a = {{"sip_user", "alice-1001"},
                {"sip_password", "A-secret-7f3e"},
                {"admin_password", "A-admin-91c2"}};
  Settings b = {{"sip_user", "bob-1002"},
                {"sip_password", "B-secret-0d4a"},
                {"admin_password", "B-admin-55aa"}};
  RenderInput ia = Input("SPA504G", "7.6.1", "7.6.1", a);
  RenderInput ib = Input("SPA504G", "7.6.1", "7.6.1", b);
  ib.mac = "58bfea1104e6";
  std::string ra = renderer_->Profile(ia)->body, rb = renderer_->Profile(ib)->body;
  for (const auto& [k, v] : a) {
    EXPECT_NE(ra.find(v), std::string::npos) << v;
    EXPECT_EQ(rb.find(v), std::string::npos) << v;
  }
  for (const auto& [k, v] : b) EXPECT_EQ(ra.find(v), std::string::npos) << v;
  // A bootstrap profile carries no secret at all.
  std::string boot =
      renderer_->Bootstrap(*cat_->FindModel("SPA504G"), "http://127.0.0.1:8069")->body;
  for (const auto* s : {&a, &b}) {
    for (const auto& [k, v] : *s) EXPECT_EQ(boot.find(v), std::string::npos) << v;
  }
  auto doc = Parse(boot);
  EXPECT_NE(Text(doc, "/flat-profile/Profile_Rule").find("$MA"), std::string::npos);
  EXPECT_EQ(Text(doc, "/flat-profile/Upgrade_Enable"), "No");
}

TEST_F(RenderTest, ModelProfileLimitIsEnforcedNamingDeviceAndSize) {
  Settings big = {{"Dial_Plan_1_", std::string(70000, 'x')}};
  auto r = renderer_->Profile(Input("PAP2T", "5.1.6", "latest", big));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("PAP2T 0002fdff2103"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("65536"), std::string::npos) << r.error().message;
  EXPECT_TRUE(renderer_->Profile(Input("PAP2T", "5.1.6", "latest")).ok());
  EXPECT_TRUE(renderer_->Profile(Input("SPA504G", "7.6.1", "latest", big)).ok());  // no limit known
}

TEST_F(RenderTest, OperatorTemplateOverrideTakesEffect) {
  auto r = Renderer::Create(BundledTemplates(),
                            {{"data/templates/spa.xml.mustache",
                              "<flat-profile><Custom>{{display_name}}</Custom></flat-profile>\n"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto out = r->Profile(Input("SPA504G", "7.6.1", "7.6.1", {{"display_name", "Front desk"}}));
  EXPECT_EQ(out->body, "<flat-profile><Custom>Front desk</Custom></flat-profile>\n");
  // Other templates keep the shipped version.
  EXPECT_EQ(r->Profile(Input("CP-7970G", "SIP70.8-2-1S"))->file, "sep.cnf.xml");
  auto broken =
      Renderer::Create(BundledTemplates(), {{"spa.xml.mustache", "{{#open}}never closed"}});
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().message.find("spa.xml.mustache"), std::string::npos);
}

TEST_F(RenderTest, XmlDefaultListsPerModelLoads) {
  auto r = renderer_->XmlDefault(
      {{30006, "IP Phone 7970", "SCCP70.8-5-2S"}, {115, "IP Phone 7941", "SCCP41.8-5-2S"}},
      {{"call_manager", "pbx.example.net"}});
  auto doc = Parse(r->body);
  EXPECT_EQ(Text(doc, "/Default/loadInformation30006"), "SCCP70.8-5-2S");
  EXPECT_EQ(
      std::string(doc.select_node("/Default/loadInformation115").node().attribute("model").value()),
      "IP Phone 7941");
  EXPECT_EQ(Text(doc, "//processNodeName"), "pbx.example.net");
}

TEST_F(RenderTest, HardenedDefaultsAreRenderedForMppPhones) {
  auto r = renderer_->Profile(Input("CP-8841-3PCC", "sip88xx.12-0-7MPP0201-66", "latest"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto doc = Parse(r->body);
  EXPECT_EQ(Text(doc, "/flat-profile/SIP_Transport_1_"), "UDP");  // what every server takes
  EXPECT_EQ(Text(doc, "/flat-profile/SIP_TCP_Port_Min"), "49152");
  EXPECT_EQ(Text(doc, "/flat-profile/SIP_TCP_Port_Max"), "65535");
  EXPECT_EQ(Text(doc, "/flat-profile/Enable_Web_Server"), "Yes");
  EXPECT_EQ(Text(doc, "/flat-profile/Enable_Protocol"), "Https");
  EXPECT_EQ(Text(doc, "/flat-profile/Web_Server_Port"), "443");
  EXPECT_EQ(Text(doc, "/flat-profile/Phone-UI-User-Mode"), "Yes");
  EXPECT_FALSE(doc.select_node("/flat-profile/SRTP_Method"));     // SRTP is off by default
  EXPECT_FALSE(doc.select_node("/flat-profile/Custom_CA_Rule"));  // only when set
}

TEST_F(RenderTest, HardenedSettingsAreOverriddenByDefaultsThenDevice) {
  RenderInput in = Input("CP-8841-3PCC", "sip88xx.12-0-7MPP0201-66", "latest",
                         {{"sip_transport", "TLS"}, {"srtp", "yes"}, {"web_protocol", "http"}});
  in.defaults = {{"sip_transport", "tcp"},
                 {"sip_tcp_port_min", "50000"},
                 {"custom_ca_rule", "https://prov.example.net/ca.pem"},
                 {"phone_ui_user_mode", "no"}};
  auto r = renderer_->Profile(in);
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto doc = Parse(r->body);
  EXPECT_EQ(Text(doc, "/flat-profile/SIP_Transport_1_"), "TLS");  // the device's wins
  EXPECT_EQ(Text(doc, "/flat-profile/SIP_TCP_Port_Min"), "50000");
  EXPECT_EQ(Text(doc, "/flat-profile/SRTP_Method"), "s-descriptor");
  EXPECT_EQ(Text(doc, "/flat-profile/Custom_CA_Rule"), "https://prov.example.net/ca.pem");
  EXPECT_EQ(Text(doc, "/flat-profile/Enable_Protocol"), "Http");
  EXPECT_EQ(Text(doc, "/flat-profile/Web_Server_Port"), "80");
  EXPECT_EQ(Text(doc, "/flat-profile/Phone-UI-User-Mode"), "No");
  in.settings["srtp_method"] = "x-sipura";
  EXPECT_EQ(Text(Parse(renderer_->Profile(in)->body), "/flat-profile/SRTP_Method"), "x-sipura");
}

TEST_F(RenderTest, HardenedDefaultsForSpaPhonesAndNoneForOldAtas) {
  auto spa = Parse(renderer_->Profile(Input("SPA504G", "7.6.1", "7.6.1", {{"srtp", "yes"}}))->body);
  EXPECT_EQ(Text(spa, "/flat-profile/SIP_Transport_1_"), "UDP");
  EXPECT_EQ(Text(spa, "/flat-profile/Secure_Call_Setting"), "Yes");
  EXPECT_EQ(Text(spa, "/flat-profile/SRTP_Method"), "s-descriptor");
  EXPECT_EQ(Text(spa, "/flat-profile/SIP_TCP_Port_Min"), "49152");
  EXPECT_FALSE(spa.select_node("/flat-profile/Enable_Protocol"));  // no source for SPA phones
  auto ata = Parse(renderer_->Profile(Input("PAP2T", "5.1.6", "latest"))->body);
  EXPECT_FALSE(ata.select_node("/flat-profile/SIP_Transport_1_"));
  EXPECT_FALSE(ata.select_node("/flat-profile/SIP_TCP_Port_Min"));
}

TEST_F(RenderTest, AtaMppGetsTheAtaGuidesNames) {
  RenderInput in = Input("ATA191-MPP", "ATA19x.11-2-3MPP0001-028", "latest",
                         {{"custom_ca_rule", "http://prov.example.net/ca.pem"}});
  auto r = renderer_->Profile(in);
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto doc = Parse(r->body);
  EXPECT_EQ(Text(doc, "/flat-profile/Custom_CA_URL"), "http://prov.example.net/ca.pem");
  EXPECT_FALSE(doc.select_node("/flat-profile/Custom_CA_Rule"));
  EXPECT_FALSE(doc.select_node("/flat-profile/Enable_Protocol"));
  EXPECT_EQ(Text(doc, "/flat-profile/SIP_TCP_Port_Min"), "49152");
}

TEST_F(RenderTest, BadHardenedValueIsAnErrorNamingTheKey) {
  auto r = renderer_->Profile(Input("SPA504G", "7.6.1", "7.6.1", {{"sip_transport", "sctp"}}));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("sip_transport=\"sctp\""), std::string::npos)
      << r.error().message;
  auto ports = renderer_->Profile(Input("SPA504G", "7.6.1", "7.6.1",
                                        {{"sip_tcp_port_min", "60000"}, {"sip_tcp_port_max", "50000"}}));
  ASSERT_FALSE(ports.ok());
  EXPECT_NE(ports.error().message.find("sip_tcp_port_min 60000"), std::string::npos);
}

}  // namespace
}  // namespace stepup
