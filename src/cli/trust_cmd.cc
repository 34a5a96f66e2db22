// stepup trust check --store FILE|DIR --chain FILE [--at YYYY-MM-DD] [--legacy-chain-building]
// [--json]: would a phone with this trust store accept a server sending this chain?
#include <algorithm>
#include <cerrno>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/cli.h"
#include "net/trust_check.h"

namespace stepup::cli {
namespace {

struct TrustOptions {
  std::string store, chain, at;
  bool legacy = false;
  bool json = false;
};

Result<PemText> ReadPem(const std::string& flag, const std::string& path) {
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) return FileError(flag + " \"" + path + "\": cannot read");
  std::stringstream ss;
  ss << in.rdbuf();
  return PemText{path, ss.str()};
}

// A directory is a trust store of one or more PEM files (every regular file in it, in name
// order so the report is the same each run); a file is a PEM bundle.
Result<std::vector<PemText>> ReadStore(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    auto one = ReadPem("--store", path);
    if (!one) return one.error();
    return std::vector<PemText>{*one};
  }
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(path, ec)) {
    if (e.is_regular_file()) names.push_back(e.path().string());
  }
  if (ec) return IoError("--store \"" + path + "\": " + ec.message());
  if (names.empty()) return BadInput("--store \"" + path + "\": no files in the directory");
  std::sort(names.begin(), names.end());
  std::vector<PemText> store;
  for (const auto& n : names) {
    auto pem = ReadPem("--store", n);
    if (!pem) return pem.error();
    store.push_back(*pem);
  }
  return store;
}

nlohmann::json CertJson(const CertSummary& c) {
  return {{"subject", c.subject},
          {"cn", c.cn},
          {"issuer", c.issuer},
          {"not_after", c.not_after},
          {"in_store", c.in_store}};
}

void PrintVerdict(const TrustVerdict& v, const TrustOptions& o, const std::string& at) {
  const char* building = o.legacy ? "legacy" : "modern";
  if (o.json) {
    nlohmann::json chain = nlohmann::json::array();
    for (const auto& c : v.chain) chain.push_back(CertJson(c));
    nlohmann::json j = {{"accepted", v.accepted},
                        {"at", at},
                        {"chain_building", building},
                        {"chain", chain},
                        {"failing", v.has_failing ? CertJson(v.failing) : nlohmann::json()},
                        {"reason", v.accepted ? nlohmann::json() : nlohmann::json(v.reason)}};
    std::cout << j.dump() << "\n";
    return;
  }
  if (v.accepted) {
    std::cout << "accepted at " << at << " (" << building << " chain building); chain:\n";
  } else {
    std::cout << "rejected at " << at << " (" << building << " chain building): " << v.reason
              << "\n";
    if (!v.chain.empty()) std::cout << "chain built before the failure:\n";
  }
  for (size_t i = 0; i < v.chain.size(); ++i) {
    const CertSummary& c = v.chain[i];
    std::cout << "  " << i << " " << (c.cn.empty() ? c.subject : c.cn) << "  notAfter "
              << c.not_after << (c.in_store ? "  (in the store)" : "") << "\n";
  }
}

int RunTrustCheck(const TrustOptions& o) {
  std::time_t at = std::time(nullptr);
  if (!o.at.empty()) {
    auto parsed = ParseCheckDate("--at", o.at);
    if (!parsed) return Fail(parsed.error());
    at = *parsed;
  }
  auto store = ReadStore(o.store);
  if (!store) return Fail(store.error());
  auto chain = ReadPem("--chain", o.chain);
  if (!chain) return Fail(chain.error());
  auto v =
      CheckTrust(*store, *chain, at, o.legacy ? ChainBuilding::kLegacy : ChainBuilding::kModern);
  if (!v) return Fail(v.error());
  char when[32];
  std::tm tm{};
  gmtime_r(&at, &tm);
  std::strftime(when, sizeof when, o.at.empty() ? "%Y-%m-%d %H:%M:%S UTC" : "%Y-%m-%d", &tm);
  PrintVerdict(*v, o, when);
  return v->accepted ? kExitOk : kExitNegative;
}

}  // namespace

void AddTrustCommand(CLI::App& app, Action& action) {
  auto o = std::make_shared<TrustOptions>();
  auto* cmd = app.add_subcommand("trust", "Check certificate chains against phone trust stores");
  cmd->require_subcommand(1);
  auto* check =
      cmd->add_subcommand("check",
                          "Would a phone with this trust store accept a server sending this chain? "
                          "Exit 0 accepted, 1 rejected (the reason names the certificate)");
  check
      ->add_option("--store", o->store,
                   "the phone's trust store: a PEM file or a directory of them")
      ->required();
  check
      ->add_option("--chain", o->chain,
                   "what the server sends: a PEM file, leaf first, then its intermediates")
      ->required();
  check->add_option("--at", o->at, "the day to check at, YYYY-MM-DD, UTC midnight (default: now)");
  check->add_flag("--legacy-chain-building", o->legacy,
                  "build the chain from the sent certificates first, like OpenSSL 1.0.x "
                  "(the AddTrust expiry failure of 2020-05-30)");
  check->add_flag("--json", o->json, "print JSON");
  check->callback([&action, o] { action = [o] { return RunTrustCheck(*o); }; });
}

}  // namespace stepup::cli
