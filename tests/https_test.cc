// HTTPS with phone client certificates, end to end: `stepup serve --https` as a real process,
// curl as the phone (`--cert`), every certificate made at test time. The right phone gets its
// profile; a certificate for another MAC, an expired one, one from another CA, or none where
// one is required gets 403 and an event in the history of the device the request named.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/server_process.h"
#include "tests/test_certs.h"

namespace stepup {
namespace {
namespace fs = std::filesystem;
using testing::Cert;
using testing::Cli;
using testing::Curl;
using testing::Fetched;
using testing::Have;
using testing::Issue;
using testing::IssueNamed;
using testing::Key;
using testing::NewKey;
using testing::Pem;
using testing::Quote;
using testing::Server;
using testing::Subject;

constexpr const char* kMac = "00562b043615";
constexpr const char* kSecret = "s3cret-8841-line";
constexpr const char* kStrictMac = "00562b043617";  // enrolled with client_cert=required
constexpr const char* kStrictSecret = "s3cret-strict-line";

std::string Ua(const std::string& mac) { return "Cisco-CP-8841-3PCC/11.0 (" + mac + ")"; }

Subject PhoneSubject(const std::string& mac, const std::string& serial) {
  return {{"C", "US"},
          {"O", "Cisco Systems Inc."},
          {"OU", "CP-8841-3PCC"},
          {"L", serial},
          {"ST", mac},
          {"CN", "CP-8841-3PCC-SEP" + mac}};
}

class HttpsE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Have("curl")) GTEST_SKIP() << "curl is not installed (scripts/bootstrap installs it)";
    dir_ = testing::FreshTestDir("https");
    const std::time_t now = std::time(nullptr), day = 86400;
    // The server's CA and certificate (for 127.0.0.1), the phones' CA, another CA.
    Key sca_k = NewKey(), srv_k = NewKey(), pca_k = NewKey(), oca_k = NewKey();
    Cert sca = Issue("Test Server CA", sca_k, nullptr, sca_k, now - day, now + 365 * day, true);
    Cert srv = IssueNamed({{"CN", "127.0.0.1"}}, srv_k, sca.get(), sca_k, now - day,
                          now + 365 * day, false, "IP:127.0.0.1");
    Cert pca = Issue("Test Phone CA", pca_k, nullptr, pca_k, now - day, now + 365 * day, true);
    Cert oca = Issue("Test Other CA", oca_k, nullptr, oca_k, now - day, now + 365 * day, true);
    Write("server-ca.pem", Pem({sca.get()}));
    Write("server.pem", Pem({srv.get()}));
    Write("server.key", testing::KeyPem(srv_k));
    Write("phone-ca.pem", Pem({pca.get()}));
    // The phones: each certificate with its own key.
    auto phone = [&](const std::string& name, const Subject& subject, X509* issuer,
                     const Key& issuer_key, std::time_t from, std::time_t until) {
      Key k = NewKey();
      Cert c = IssueNamed(subject, k, issuer, issuer_key, from, until, false);
      Write(name + ".pem", Pem({c.get()}));
      Write(name + ".key", testing::KeyPem(k));
    };
    phone("right", PhoneSubject(kMac, "FCH1932A3BC"), pca.get(), pca_k, now - day,
          now + 365 * day);
    phone("wrong-mac", PhoneSubject("00562b043616", "FCH1932A3BD"), pca.get(), pca_k, now - day,
          now + 365 * day);
    phone("expired", PhoneSubject(kMac, "FCH1932A3BC"), pca.get(), pca_k,
          testing::Day(2020, 1, 1), testing::Day(2021, 1, 1));
    phone("other-ca", PhoneSubject(kMac, "FCH1932A3BC"), oca.get(), oca_k, now - day,
          now + 365 * day);
    phone("strict", PhoneSubject(kStrictMac, "FCH1932A3BE"), pca.get(), pca_k, now - day,
          now + 365 * day);
    ASSERT_EQ(Cli({"device", "add", "--data", Data(), "--mac", kMac, "--model", "CP-8841-3PCC",
                   "--target", "latest", "--set", std::string("sip_password=") + kSecret}),
              0);
    ASSERT_EQ(Cli({"device", "add", "--data", Data(), "--mac", kStrictMac, "--model",
                   "CP-8841-3PCC", "--target", "latest", "--set",
                   std::string("sip_password=") + kStrictSecret, "--set", "client_cert=required"}),
              0);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  std::string File(const std::string& name) const { return (dir_ / name).string(); }
  std::string Data() const { return (dir_ / "data").string(); }
  std::vector<std::string> Tls(bool require) const {
    std::vector<std::string> a = {"--https",     "127.0.0.1:0",       "--tls-cert",
                                  File("server.pem"), "--tls-key",  File("server.key"),
                                  "--client-ca", File("phone-ca.pem")};
    if (require) a.push_back("--require-client-cert");
    return a;
  }
  // curl as the phone: it verifies the server against the server's CA and presents `cert`
  // ("" : none).
  Fetched Phone(const Server& s, const std::string& cert, const std::string& mac) {
    std::string extra = "--cacert " + Quote(File("server-ca.pem"));
    if (!cert.empty())
      extra += " --cert " + Quote(File(cert + ".pem")) + " --key " + Quote(File(cert + ".key"));
    return Curl(s.https_url("/cfg/" + mac + ".xml"), Ua(mac), extra);
  }
  nlohmann::json Events(const std::string& key) {
    std::string out;
    EXPECT_EQ(Cli({"device", "show", key, "--json", "--data", Data()}, &out), 0);
    auto j = nlohmann::json::parse(out, nullptr, false);
    return j.is_object() ? j["events"] : nlohmann::json::array();
  }
  // The details of the identity-mismatch events recorded over `transport`.
  std::vector<std::string> Mismatches(const std::string& key, const std::string& transport) {
    std::vector<std::string> out;
    for (const auto& e : Events(key)) {
      if (e.value("kind", "") != "identity-mismatch" || e.value("transport", "") != transport)
        continue;
      out.push_back(e.value("detail", ""));
    }
    return out;
  }
  fs::path dir_;
};

bool Has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST_F(HttpsE2E, ThePhoneWithItsCertificateGetsItsProfileEachWrongCertificateGets403AndAnEvent) {
  Server s(Data(), Tls(/*require=*/true));
  ASSERT_GT(s.https_port(), 0);
  Fetched right = Phone(s, "right", kMac);
  EXPECT_EQ(right.status, 200);
  EXPECT_TRUE(Has(right.body, kSecret)) << right.body;
  struct Wrong {
    const char* cert;
    const char* why;  // what the event must name
  } wrong[] = {
      {"wrong-mac", "00562b043616"},
      {"expired", "certificate has expired"},
      {"other-ca", "unable to get local issuer certificate"},
      {"", "no client certificate"},
  };
  for (const auto& w : wrong) {
    SCOPED_TRACE(w.cert);
    Fetched f = Phone(s, w.cert, kMac);
    EXPECT_EQ(f.status, 403);
    EXPECT_FALSE(Has(f.body, kSecret)) << f.body;
  }
  // Plain HTTP still answers, by the rules of plain HTTP (here the bootstrap profile: the
  // serial the certificate taught is not in this request).
  EXPECT_EQ(Curl(s.url("/cfg/") + kMac + ".xml", Ua(kMac)).status, 200);
  s.process().Kill(SIGTERM);
  ASSERT_EQ(s.process().Wait(15000), 0);
  auto details = Mismatches(kMac, "https");
  ASSERT_EQ(details.size(), std::size(wrong)) << Events(kMac).dump(1);
  for (size_t i = 0; i < std::size(wrong); ++i)
    EXPECT_TRUE(Has(details[i], wrong[i].why)) << details[i];
  EXPECT_TRUE(Has(details[1], "notAfter 2021-01-01")) << details[1];
  EXPECT_EQ(Mismatches(kMac, "http").size(), 1u);  // the plain request without the serial
  // Secrets stay out of the logs: the access log, and what the server printed.
  const std::string log = testing::Slurp(fs::path(Data()) / "access.log");
  EXPECT_NE(log.find("/cfg/00562b043615.xml"), std::string::npos);
  EXPECT_EQ(log.find(kSecret), std::string::npos) << log;
  EXPECT_EQ(s.process().WaitFor(kSecret, 10).find(kSecret), std::string::npos);
}

TEST_F(HttpsE2E, ADeviceThatRequiresItsCertificateGetsItsSecretsOnlyWithIt) {
  Server s(Data(), Tls(/*require=*/false));
  ASSERT_GT(s.https_port(), 0);
  // Without --require-client-cert, a phone without a certificate is judged as over HTTP.
  Fetched plain_rules = Phone(s, "", kMac);
  EXPECT_EQ(plain_rules.status, 200);
  EXPECT_TRUE(Has(plain_rules.body, kSecret)) << plain_rules.body;
  // client_cert=required: its walk without a certificate, over HTTPS or HTTP, but no secret.
  Fetched no_cert = Phone(s, "", kStrictMac);
  Fetched http = Curl(s.url("/cfg/") + kStrictMac + ".xml", Ua(kStrictMac));
  for (const Fetched* f : {&no_cert, &http}) {
    EXPECT_EQ(f->status, 200);
    EXPECT_TRUE(Has(f->body, "<Upgrade_Enable>") || Has(f->body, "Profile_Rule")) << f->body;
    EXPECT_FALSE(Has(f->body, kStrictSecret)) << f->body;
  }
  // Another phone's valid certificate is no key to it.
  Fetched other = Phone(s, "right", kStrictMac);
  EXPECT_EQ(other.status, 403);
  EXPECT_FALSE(Has(other.body, kStrictSecret)) << other.body;
  Fetched with_cert = Phone(s, "strict", kStrictMac);
  EXPECT_EQ(with_cert.status, 200);
  EXPECT_TRUE(Has(with_cert.body, kStrictSecret)) << with_cert.body;
  // The server's record of where secrets went: the strict device's only over HTTPS.
  s.process().Kill(SIGTERM);
  ASSERT_EQ(s.process().Wait(15000), 0);
  std::vector<std::string> sent;
  for (const auto& e : Events(kStrictMac)) {
    if (e.value("kind", "") == "secrets-sent") sent.push_back(e.value("transport", ""));
  }
  EXPECT_EQ(sent, std::vector<std::string>{"https"}) << Events(kStrictMac).dump(1);
}

TEST_F(HttpsE2E, FilesGoOutWholeAndInRangesOverTls) {
  // An operator's file larger than many TLS records, served by bare name.
  std::string blob(700 * 1024 + 123, '\0');
  for (size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<char>((i * 2654435761u) >> 13);
  fs::create_directories(fs::path(Data()) / "files");
  std::ofstream(fs::path(Data()) / "files" / "blob.bin", std::ios::binary) << blob;
  Server s(Data(), Tls(false));
  ASSERT_GT(s.https_port(), 0);
  const std::string ca = "--cacert " + Quote(File("server-ca.pem"));
  Fetched whole = Curl(s.https_url("/blob.bin"), "", ca + " -o " + Quote(File("got.bin")));
  EXPECT_EQ(whole.status, 200);
  EXPECT_TRUE(testing::Slurp(File("got.bin")) == blob);
  Fetched part = Curl(s.https_url("/blob.bin"), "", ca + " -r 300000-300009");
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, blob.substr(300000, 10));
  // Two requests on one connection (keep-alive through TLS).
  Fetched two = Curl(s.https_url("/healthz"), "", ca + " " + Quote(s.https_url("/healthz")));
  EXPECT_EQ(two.status, 200);
  EXPECT_EQ(two.body, "ok\n\n200ok\n");  // curl's -w status line between the two answers
  s.process().Kill(SIGTERM);
  ASSERT_EQ(s.process().Wait(15000), 0);
  const std::string log = testing::Slurp(fs::path(Data()) / "access.log");
  EXPECT_TRUE(Has(log, "path=/healthz status=200 bytes=3")) << log;
  EXPECT_TRUE(Has(log, "conn_requests=2")) << log;
  EXPECT_TRUE(Has(log, "path=/blob.bin status=200 bytes=" + std::to_string(blob.size()))) << log;
}

TEST_F(HttpsE2E, LegacyTlsOnlyWhenAskedFor) {
  // A TLS 1.0-only client (what old SPA firmware speaks).
  auto tls10 = [&](const Server& s) {
    return Curl(s.https_url("/healthz"), "",
                "--cacert " + Quote(File("server-ca.pem")) +
                    " --tlsv1.0 --tls-max 1.0 --ciphers DEFAULT:@SECLEVEL=0")
        .status;
  };
  {
    Server modern(Data(), Tls(false));
    ASSERT_GT(modern.https_port(), 0);
    EXPECT_EQ(Curl(modern.https_url("/healthz"), "", "--cacert " + Quote(File("server-ca.pem")))
                  .status,
              200);
    EXPECT_EQ(tls10(modern), 0);  // no handshake
  }
  auto args = Tls(false);
  args.push_back("--tls-legacy");
  Server legacy(Data(), args);
  ASSERT_GT(legacy.https_port(), 0);
  EXPECT_EQ(tls10(legacy), 200);
  EXPECT_TRUE(Has(legacy.process().WaitFor("LEGACY TLS", 1000), "LEGACY TLS"));
}

TEST_F(HttpsE2E, BadTlsFilesAreNamed) {
  auto serve = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = {"serve", "--data", Data(), "--http", "127.0.0.1:0", "--tftp",
                                  "off"};
    a.insert(a.end(), extra.begin(), extra.end());
    std::string cmd = "timeout 30 " + Quote(STEPUP_BINARY);
    for (const auto& x : a) cmd += " " + Quote(x);
    FILE* p = popen((cmd + " 2>&1; echo exit=$?").c_str(), "r");
    std::string said;
    char buf[512];
    for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) said.append(buf, n);
    pclose(p);
    return said;
  };
  std::string no_cert = serve({"--https", "127.0.0.1:0"});
  EXPECT_TRUE(Has(no_cert, "--tls-cert")) << no_cert;
  EXPECT_TRUE(Has(no_cert, "exit=2")) << no_cert;
  std::string mismatch = serve({"--https", "127.0.0.1:0", "--tls-cert", File("server.pem"),
                                "--tls-key", File("right.key")});
  EXPECT_TRUE(Has(mismatch, "does not match")) << mismatch;
  EXPECT_TRUE(Has(mismatch, "exit=2")) << mismatch;
  std::string no_https = serve({"--tls-cert", File("server.pem")});
  EXPECT_TRUE(Has(no_https, "need --https")) << no_https;
  std::string require = serve({"--https", "127.0.0.1:0", "--tls-cert", File("server.pem"),
                               "--tls-key", File("server.key"), "--require-client-cert"});
  EXPECT_TRUE(Has(require, "--require-client-cert needs --client-ca")) << require;
}

}  // namespace
}  // namespace stepup
