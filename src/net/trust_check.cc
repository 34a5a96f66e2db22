#include "net/trust_check.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <memory>

#include "net/openssl_error.h"

namespace stepup {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct StoreFree {
  void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};
// Frees the stack only: the certificates in it are owned elsewhere.
struct StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

// Every certificate in a PEM text, in order. Text between blocks is ignored (as openssl x509
// does); a text with no certificate, or a block that does not decode, is bad input.
Result<std::vector<X509Ptr>> ReadCertificates(const PemText& pem) {
  ERR_clear_error();
  std::unique_ptr<BIO, BioFree> bio(
      BIO_new_mem_buf(pem.text.data(), static_cast<int>(pem.text.size())));
  std::vector<X509Ptr> certs;
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) certs.emplace_back(x);
  const unsigned long err = ERR_peek_last_error();
  // Running out of PEM blocks is how every read ends; anything else is a broken block.
  const bool clean_end =
      err == 0 || (ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE);
  if (!clean_end) {
    return BadInput(pem.name + ": certificate " + std::to_string(certs.size() + 1) +
                    " is not valid PEM: " + TakeOpenSslError());
  }
  ERR_clear_error();
  if (certs.empty()) return BadInput(pem.name + ": no PEM certificate in it");
  return certs;
}

std::string NameText(const X509_NAME* name) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, n > 0 ? static_cast<size_t>(n) : 0);
}

std::string CommonName(const X509_NAME* name) {
  const int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (i < 0) return "";
  const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, s);
  if (n < 0) return "";
  std::string cn(reinterpret_cast<char*>(utf8), n);
  OPENSSL_free(utf8);
  return cn;
}

// The day alone when the time is midnight (how test roots and --at are written), else the
// time too: a root that expires at 10:48 is still valid at that day's midnight.
std::string TimeText(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return "?";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  std::string out = buf;
  if (tm.tm_hour || tm.tm_min || tm.tm_sec) {
    std::snprintf(buf, sizeof buf, " %02d:%02d:%02d UTC", tm.tm_hour, tm.tm_min, tm.tm_sec);
    out += buf;
  }
  return out;
}

CertSummary Summarize(X509* x, X509_STORE* store) {
  CertSummary s;
  s.subject = NameText(X509_get_subject_name(x));
  s.cn = CommonName(X509_get_subject_name(x));
  s.issuer = NameText(X509_get_issuer_name(x));
  s.not_after = TimeText(X509_get0_notAfter(x));
  STACK_OF(X509)* trusted = X509_STORE_get1_all_certs(store);
  for (int i = 0; i < sk_X509_num(trusted); ++i) {
    if (X509_cmp(sk_X509_value(trusted, i), x) == 0) s.in_store = true;
  }
  sk_X509_pop_free(trusted, X509_free);
  return s;
}

// "certificate has expired: CN=Test AddTrust Root, notAfter 2020-05-30": OpenSSL's reason,
// the certificate, and the issuer when it differs (a cross-certificate carries the subject of
// the root it stands in for, so the subject alone would name the wrong one).
std::string Reason(int err, const CertSummary& c, bool has_cert) {
  std::string r = X509_verify_cert_error_string(err);
  if (!has_cert) return r;
  r += ": " + c.subject;
  if (c.issuer != c.subject) r += " (issued by " + c.issuer + ")";
  return r + ", notAfter " + c.not_after;
}

void ConfigureBuilding(X509_STORE_CTX* ctx, std::time_t at, ChainBuilding building) {
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
  X509_VERIFY_PARAM_set_time(param, at);
  if (building == ChainBuilding::kLegacy) {
    // OpenSSL 1.0.x walked up the certificates the server sent before looking in the store, so
    // a cross-signed intermediate led it to the expired AddTrust root even though the store
    // held the self-signed USERTrust root. Clearing TRUSTED_FIRST alone reproduces that with
    // OpenSSL 3 (TrustCheck.AddTrustCrossSignFailsLegacyAfterExpiry): the chain reaches a
    // trust anchor, so the alternative-chain search (X509_V_FLAG_NO_ALT_CHAINS unset) never
    // starts; expiry is found only after the chain is built.
    X509_VERIFY_PARAM_clear_flags(param, X509_V_FLAG_TRUSTED_FIRST);
  }
}

}  // namespace

Result<std::time_t> ParseCheckDate(const std::string& flag, const std::string& value) {
  auto bad = [&] { return BadInput(flag + " " + value + ": not a date (YYYY-MM-DD)"); };
  if (value.size() != 10 || value[4] != '-' || value[7] != '-') return bad();
  int y = 0;
  unsigned m = 0, d = 0;
  const char* s = value.data();
  auto field = [&](int from, int len, auto& out) {
    auto [p, ec] = std::from_chars(s + from, s + from + len, out);
    return ec == std::errc() && p == s + from + len;
  };
  if (!field(0, 4, y) || !field(5, 2, m) || !field(8, 2, d)) return bad();
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m},
                                        std::chrono::day{d}};
  if (!ymd.ok()) return bad();
  const std::chrono::sys_seconds t{std::chrono::sys_days{ymd}};
  return static_cast<std::time_t>(t.time_since_epoch().count());
}

Result<TrustVerdict> CheckTrust(const std::vector<PemText>& store, const PemText& chain,
                                std::time_t at, ChainBuilding building) {
  std::unique_ptr<X509_STORE, StoreFree> trusted(X509_STORE_new());
  for (const PemText& pem : store) {
    auto certs = ReadCertificates(pem);
    if (!certs) return certs.error();
    for (const X509Ptr& c : *certs) X509_STORE_add_cert(trusted.get(), c.get());  // takes a ref
  }
  auto sent = ReadCertificates(chain);
  if (!sent) return sent.error();
  std::unique_ptr<STACK_OF(X509), StackFree> untrusted(sk_X509_new_null());
  for (size_t i = 1; i < sent->size(); ++i) sk_X509_push(untrusted.get(), (*sent)[i].get());

  std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  if (!X509_STORE_CTX_init(ctx.get(), trusted.get(), sent->front().get(), untrusted.get())) {
    return IoError("cannot start certificate verification: " + TakeOpenSslError());
  }
  ConfigureBuilding(ctx.get(), at, building);
  TrustVerdict v;
  v.accepted = X509_verify_cert(ctx.get()) == 1;
  STACK_OF(X509)* built = X509_STORE_CTX_get0_chain(ctx.get());
  for (int i = 0; i < sk_X509_num(built); ++i) {
    v.chain.push_back(Summarize(sk_X509_value(built, i), trusted.get()));
  }
  if (!v.accepted) {
    const int err = X509_STORE_CTX_get_error(ctx.get());
    if (X509* bad = X509_STORE_CTX_get_current_cert(ctx.get())) {
      v.failing = Summarize(bad, trusted.get());
      v.has_failing = true;
    }
    v.reason = Reason(err, v.failing, v.has_failing);
  }
  ERR_clear_error();
  return v;
}

}  // namespace stepup
