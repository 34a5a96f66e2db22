// Would a phone with a given trust store accept a given server chain at a given date? The
// question behind `stepup trust check`: phones ship root certificates that expire (the
// AddTrust roots on 2020-05-30, domain.md seed 004) and old TLS stacks build chains the old way.
// Pure over bytes: PEM text in, a verdict out; OpenSSL's X509 verification decides.
#pragma once

#include <ctime>
#include <string>
#include <vector>

#include "core/result.h"

namespace stepup {

// PEM text and where it came from (a file name), so errors can name it.
struct PemText {
  std::string name;
  std::string text;
};

enum class ChainBuilding {
  kModern,  // OpenSSL >= 1.1.0: trusted certificates first, so a newer root wins
  kLegacy,  // OpenSSL 1.0.x and clients like it: the sent certificates first (AddTrust failure)
};

struct CertSummary {
  std::string subject;    // RFC 2253, e.g. "CN=Test AddTrust Root,O=Test"
  std::string cn;         // the subject's commonName, "" if it has none
  std::string issuer;     // RFC 2253
  std::string not_after;  // "2020-05-30", with " HH:MM:SS UTC" when not at midnight
  bool in_store = false;  // one of the trust store's certificates
};

struct TrustVerdict {
  bool accepted = false;
  std::vector<CertSummary> chain;  // as built: leaf first, as far as OpenSSL got when rejected
  bool has_failing = false;        // whether `failing` names a certificate
  CertSummary failing;             // the certificate OpenSSL rejected
  std::string reason;  // rejected: "certificate has expired: CN=..., notAfter 2020-05-30"
};

// "YYYY-MM-DD" -> UTC midnight of that day. The error names `flag` and the value.
Result<std::time_t> ParseCheckDate(const std::string& flag, const std::string& value);

// Checks `chain` (the server's leaf first, then the intermediates it sends) against the
// certificates in `store` at time `at`. Bad input (no certificate in a text, a broken PEM
// block) is an error naming the text; a rejection is a verdict, not an error.
Result<TrustVerdict> CheckTrust(const std::vector<PemText>& store, const PemText& chain,
                                std::time_t at, ChainBuilding building);

}  // namespace stepup
