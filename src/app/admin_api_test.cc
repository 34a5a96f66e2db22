// The REST API's routes (issue 18, item 1), called as the HTTP listener calls them: every
// route with good and bad input, the token, and the OpenAPI document checked against what the
// routes really answer.
#include "app/admin_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/bundled_catalog_fixture.h"
#include "core/text.h"
#include "store/inventory.h"

namespace stepup {
namespace {

class AdminApiTest : public testing::BundledCatalogTest {
 protected:
  void SetUp() override {
    inv_ = NewMemoryInventory();
    api_ = MakeApi("");
    ASSERT_EQ(Call("POST", "/api/v1/devices",
                   R"({"mac":"58:BF:EA:11:04:E6","model":"SPA504G","target":"7.6.1",
                       "firmware":"7.3.7","settings":{"sip_password":"s3cret-api"}})")
                  .status,
              201);
    ASSERT_EQ(Call("POST", "/api/v1/devices",
                   R"({"mac":"00562b043615","model":"CP-8841-3PCC"})")
                  .status,
              201);
  }
  std::unique_ptr<AdminApi> MakeApi(const std::string& token) {
    AdminConfig c;
    c.inventory = inv_.get();
    c.catalog = cat_;
    c.token = token;
    c.now_ms = [] { return int64_t{1704067200000}; };
    return std::make_unique<AdminApi>(std::move(c));
  }
  Response Call(const std::string& method, const std::string& target, const std::string& body = "",
                AdminApi* api = nullptr, const std::string& auth = "") {
    Request r;
    r.method = method;
    r.target = target;
    r.body = body;
    r.content_type = body.empty() ? "" : "application/json";
    r.peer_ip = "127.0.0.1";
    r.peer = "127.0.0.1:1234";
    r.authorization = auth;
    return (api ? api : api_.get())->Handle(r);
  }
  static nlohmann::json J(const Response& r) {
    return nlohmann::json::parse(r.body, nullptr, false);
  }
  // The 400's message names the field.
  void BadField(const std::string& method, const std::string& target, const std::string& body,
                const std::string& names) {
    Response r = Call(method, target, body);
    EXPECT_EQ(r.status, 400) << method << " " << target << " " << body << ": " << r.body;
    EXPECT_NE(J(r).value("error", "").find(names), std::string::npos)
        << body << " -> " << r.body;
  }
  std::unique_ptr<Inventory> inv_;
  std::unique_ptr<AdminApi> api_;
};

TEST_F(AdminApiTest, ListsWithFiltersAndHidesSecrets) {
  Response all = Call("GET", "/api/v1/devices");
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(J(all).size(), 2u);
  EXPECT_EQ(all.body.find("s3cret-api"), std::string::npos);
  auto one = J(Call("GET", "/api/v1/devices?model=spa504g"));
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0]["mac"], "58bfea1104e6");
  EXPECT_EQ(J(Call("GET", "/api/v1/devices?firmware=7.3.7&state=new")).size(), 1u);
  EXPECT_EQ(J(Call("GET", "/api/v1/devices?target=latest")).size(), 1u);
  EXPECT_EQ(J(Call("GET", "/api/v1/devices?state=stuck")).size(), 0u);
  BadField("GET", "/api/v1/devices?colour=red", "", "unknown filter \"colour\"");
  BadField("GET", "/api/v1/devices?model=SPA999", "", "filter \"model\": unknown model");
  BadField("GET", "/api/v1/devices?model=%zz", "", "malformed %-escape");
}

TEST_F(AdminApiTest, CreateNamesTheBadFieldAndRefusesDuplicates) {
  BadField("POST", "/api/v1/devices", "{", "body: not JSON");
  BadField("POST", "/api/v1/devices", "[1]", "a JSON object");
  BadField("POST", "/api/v1/devices", R"({"mac":"zz","model":"SPA504G"})", "field \"mac\"");
  BadField("POST", "/api/v1/devices", R"({"mac":"001122334455","model":"SPA999"})",
           "field \"model\": unknown model \"SPA999\"");
  BadField("POST", "/api/v1/devices", R"({"mac":"001122334455","model":5})",
           "field \"model\" must be a string");
  BadField("POST", "/api/v1/devices", R"({"mac":"001122334455","model":"SPA504G","tagret":"x"})",
           "unknown field \"tagret\"");
  BadField("POST", "/api/v1/devices",
           R"({"mac":"001122334455","model":"SPA504G","target":"9.9.9"})", "field \"target\"");
  BadField("POST", "/api/v1/devices",
           R"({"mac":"001122334455","model":"SPA504G","settings":{"srtp":"maybe"}})",
           "field \"settings\": setting srtp=\"maybe\"");
  BadField("POST", "/api/v1/devices",
           R"({"mac":"001122334455","model":"SPA504G","settings":{"a":1}})",
           "field \"settings\": \"a\" must be a string");
  Response dup = Call("POST", "/api/v1/devices", R"({"mac":"58bfea1104e6","model":"SPA504G"})");
  EXPECT_EQ(dup.status, 409) << dup.body;
  // Nothing was stored by the refusals.
  EXPECT_EQ(J(Call("GET", "/api/v1/devices")).size(), 2u);
  // A write without a JSON body is refused before it is read.
  Request r;
  r.method = "POST";
  r.target = "/api/v1/devices";
  r.body = R"({"mac":"001122334455","model":"SPA504G"})";
  r.content_type = "text/plain";
  EXPECT_EQ(api_->Handle(r).status, 415);
}

TEST_F(AdminApiTest, GetPatchHistoryFirmwarePlanAndDelete) {
  Response got = Call("GET", "/api/v1/devices/58-bf-ea-11-04-e6");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(J(got)["events"][0]["kind"], "operator");
  EXPECT_EQ(J(got)["events"][0]["transport"], "api");
  EXPECT_EQ(Call("GET", "/api/v1/devices/001122334455").status, 404);

  Response patched = Call("PATCH", "/api/v1/devices/58bfea1104e6",
                          R"({"target":"7.5.2b","hold":true,"settings":{"sip_password":null,
                              "sip_transport":"tls"}})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  auto p = J(patched);
  EXPECT_EQ(p["target"], "7.5.2b");
  EXPECT_EQ(p["hold"], true);
  EXPECT_FALSE(p["settings"].contains("sip_password"));
  EXPECT_EQ(p["settings"]["sip_transport"], "tls");
  BadField("PATCH", "/api/v1/devices/58bfea1104e6", R"({"target":"1.0"})", "field \"target\"");
  BadField("PATCH", "/api/v1/devices/58bfea1104e6", R"({"hold":"yes"})", "field \"hold\"");
  BadField("PATCH", "/api/v1/devices/58bfea1104e6", R"({"hardware":"15"})", "field \"hardware\"");
  BadField("PATCH", "/api/v1/devices/58bfea1104e6", R"({"protocol":"h323"})",
           "field \"protocol\"");
  BadField("PATCH", "/api/v1/devices/58bfea1104e6", R"({"model":"SPA508G"})",
           "unknown field \"model\"");
  BadField("PATCH", "/api/v1/devices/58bfea1104e6", "{}", "nothing to change");
  EXPECT_EQ(Call("PATCH", "/api/v1/devices/001122334455", R"({"hold":false})").status, 404);

  auto history = J(Call("GET", "/api/v1/devices/58bfea1104e6/history"));
  ASSERT_EQ(history.size(), 2u);
  EXPECT_NE(history[1]["detail"].get<std::string>().find("target=7.5.2b"), std::string::npos);

  auto fw = J(Call("GET", "/api/v1/devices/58bfea1104e6/firmware"));
  EXPECT_EQ(fw["firmware"], "7.3.7");
  EXPECT_EQ(fw["known"], true);
  auto unknown_fw = J(Call("GET", "/api/v1/devices/00562b043615/firmware"));
  EXPECT_EQ(unknown_fw["known"], false);
  // No provisioner in this test: the plan route says so rather than invent one.
  EXPECT_EQ(Call("GET", "/api/v1/devices/58bfea1104e6/plan").status, 503);

  Response gone = Call("DELETE", "/api/v1/devices/58bfea1104e6");
  ASSERT_EQ(gone.status, 200) << gone.body;
  EXPECT_EQ(J(gone)["removed"], "58bfea1104e6");
  EXPECT_EQ(J(gone)["events_removed"], 2);
  EXPECT_EQ(Call("GET", "/api/v1/devices/58bfea1104e6").status, 404);
  EXPECT_EQ(Call("DELETE", "/api/v1/devices/58bfea1104e6").status, 404);
  EXPECT_EQ(J(Call("GET", "/api/v1/devices")).size(), 1u);
}

TEST_F(AdminApiTest, CatalogFirmwareAuditAndWrongMethods) {
  auto cat = J(Call("GET", "/api/v1/catalog"));
  EXPECT_GT(cat["models"].get<int>(), 20);
  auto spa = J(Call("GET", "/api/v1/catalog?model=SPA504G"));
  EXPECT_EQ(spa["family"], "spa50x-30x");
  EXPECT_GT(spa["loads"].size(), 10u);
  EXPECT_EQ(Call("GET", "/api/v1/catalog?model=SPA999").status, 404);
  auto fw = J(Call("GET", "/api/v1/firmware"));
  EXPECT_EQ(fw["checked"], false);  // no provisioner: nothing is known to be missing
  auto audit = J(Call("GET", "/api/v1/audit"));
  EXPECT_EQ(audit["totals"]["devices"], 2);
  Response wrong = Call("PUT", "/api/v1/devices");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(Call("GET", "/api/v1/nothing").status, 404);
}

TEST_F(AdminApiTest, EveryRouteNeedsTheTokenExceptTheDocument) {
  auto locked = MakeApi("t0ken-abcdefghijklmnop");
  for (const auto& r : AdminApi::Table()) {
    std::string path = r.path;
    if (auto at = path.find("{key}"); at != std::string::npos) path.replace(at, 5, "58bfea1104e6");
    Response none = Call(r.method, path, r.body ? "{}" : "", locked.get());
    if (std::string_view(r.path) == "/api/v1/openapi.json") {
      EXPECT_EQ(none.status, 200);
      continue;
    }
    EXPECT_EQ(none.status, 401) << r.method << " " << path;
    Response wrong = Call(r.method, path, r.body ? "{}" : "", locked.get(), "Bearer nope");
    EXPECT_EQ(wrong.status, 401) << r.method << " " << path;
  }
  Response ok = Call("GET", "/api/v1/devices", "", locked.get(), "Bearer t0ken-abcdefghijklmnop");
  EXPECT_EQ(ok.status, 200);
}

// The document is made from the route table; this checks the table against the answers: each
// documented operation, called with good input, answers its documented success status, and
// its path parameter and body are as documented.
TEST_F(AdminApiTest, RolloutGroupsAreCreatedChangedReportedAndRemoved) {
  Response made = Call("POST", "/api/v1/groups",
                       R"({"name":"pilot","target":"7.5.2b","window":"09:00-17:00"})");
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(J(made)["members"], 0);
  EXPECT_EQ(J(made)["open"], false);  // midnight UTC on 2024-01-01: outside its window
  // Its own target "latest" lets the group's apply.
  ASSERT_EQ(Call("PATCH", "/api/v1/devices/58bfea1104e6",
                 R"({"target":"latest","settings":{"group":"pilot"}})")
                .status,
            200);
  ASSERT_EQ(Call("PATCH", "/api/v1/devices/00562b043615", R"({"settings":{"group":"lab"}})")
                .status,
            200);
  auto g = J(Call("GET", "/api/v1/groups/pilot"));
  EXPECT_EQ(g["members"], 1);
  EXPECT_EQ(g["by_state"]["new"], 1);
  // 7.5.2b is behind the newest SPA504G release the catalog knows.
  ASSERT_EQ(g["behind"].size(), 1u) << g;
  EXPECT_EQ(g["behind"][0]["model"], "SPA504G");
  EXPECT_EQ(g["behind"][0]["target"], "7.5.2b");
  auto list = J(Call("GET", "/api/v1/groups"));
  EXPECT_EQ(list["groups"].size(), 1u);
  EXPECT_EQ(list["unknown_groups"], nlohmann::json::array({"lab"}));  // named, not created
  auto paused = J(Call("PATCH", "/api/v1/groups/pilot", R"({"paused":true,"window":null})"));
  EXPECT_EQ(paused["paused"], true);
  EXPECT_EQ(paused["window"], "");
  auto latest = J(Call("PATCH", "/api/v1/groups/pilot", R"({"target":"latest"})"));
  EXPECT_TRUE(latest["behind"].empty()) << latest;

  EXPECT_EQ(Call("POST", "/api/v1/groups", R"({"name":"pilot"})").status, 409);
  BadField("POST", "/api/v1/groups", R"({"target":"7.6.1"})", "field \"name\" is required");
  BadField("POST", "/api/v1/groups", R"({"name":"a b"})", "field \"name\"");
  BadField("POST", "/api/v1/groups", R"({"name":"x","window":"25:00-01:00"})",
           "field \"window\": window \"25:00-01:00\"");
  BadField("POST", "/api/v1/groups", R"({"name":"x","target":"99.9.9"})",
           "field \"target\": target \"99.9.9\"");
  BadField("POST", "/api/v1/groups", R"({"name":"x","colour":"red"})", "unknown field \"colour\"");
  BadField("PATCH", "/api/v1/groups/pilot", R"({"paused":"yes"})", "field \"paused\"");
  BadField("PATCH", "/api/v1/groups/pilot", R"({"name":"other"})", "unknown field \"name\"");
  EXPECT_EQ(Call("PATCH", "/api/v1/groups/nope", R"({"paused":true})").status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/groups/nope").status, 404);
  EXPECT_EQ(Call("DELETE", "/api/v1/groups/pilot").status, 200);
  EXPECT_EQ(Call("DELETE", "/api/v1/groups/pilot").status, 404);
  EXPECT_EQ(J(Call("GET", "/api/v1/groups"))["unknown_groups"].size(), 2u);
}

TEST_F(AdminApiTest, TheOpenApiDocumentIsWhatTheRoutesAnswer) {
  nlohmann::json doc = J(Call("GET", "/api/v1/openapi.json"));
  ASSERT_EQ(doc["openapi"], "3.0.3");
  const std::map<std::string, std::string> good_body = {
      {"post /api/v1/devices", R"({"mac":"001122334455","model":"SPA504G"})"},
      {"patch /api/v1/devices/{key}", R"({"hold":true})"},
      {"post /api/v1/groups", R"({"name":"pilot","target":"7.6.1"})"},
      {"patch /api/v1/groups/{key}", R"({"paused":true})"}};
  int operations = 0;
  // DELETE last: the other routes need the device.
  for (const char* pass : {"keep", "delete"}) {
    for (const auto& [path, ops] : doc["paths"].items()) {
      for (const auto& [method, op] : ops.items()) {
        if ((method == "delete") != (std::string(pass) == "delete")) continue;
        ++operations;
        std::string target = path;
        if (auto at = target.find("{key}"); at != std::string::npos) {
          ASSERT_TRUE(op.contains("parameters")) << path;
          target.replace(at, 5, path.starts_with("/api/v1/groups/") ? "pilot" : "58bfea1104e6");
        }
        std::string body;
        if (op.contains("requestBody")) {
          ASSERT_TRUE(good_body.count(method + " " + path)) << method << " " << path;
          body = good_body.at(method + " " + path);
        }
        std::string m = stepup::ToUpper(method);
        Response r = Call(m, target, body);
        std::string want;
        for (const auto& [code, _] : op["responses"].items()) {
          if (code[0] == '2') want = code;
        }
        if (path == "/api/v1/devices/{key}/plan" || path == "/api/v1/groups/{key}/resync")
          want = "503";  // no provisioner here
        EXPECT_EQ(std::to_string(r.status), want) << m << " " << target << ": " << r.body;
        if (r.status < 300) {
          EXPECT_FALSE(J(r).is_discarded()) << m << " " << target;
        }
      }
    }
  }
  EXPECT_EQ(operations, static_cast<int>(AdminApi::Table().size()));
}

}  // namespace
}  // namespace stepup
