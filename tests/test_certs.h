// Test helper: X.509 certificates made at test time with OpenSSL, with the dates, names and
// issuers a test needs (an expired phone certificate, a cross-signed root, a foreign CA).
#pragma once

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace stepup::testing {

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* x) const { X509_free(x); }
};
using Key = std::shared_ptr<EVP_PKEY>;
using Cert = std::unique_ptr<X509, CertFree>;
// A subject's entries in order: {"OU", "CP-8841-3PCC"}, {"CN", "..."}.
using Subject = std::vector<std::pair<std::string, std::string>>;

inline std::time_t Day(int y, int m, int d) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = m - 1;
  tm.tm_mday = d;
  return timegm(&tm);
}

inline Key NewKey() { return Key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), KeyFree()); }

inline void AddExtension(X509* x, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, x, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  ASSERT_NE(ext, nullptr) << value;
  X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate for `key` named `subject`, issued by `issuer` (nullptr: self-signed) and signed
// with `issuer_key`, valid [from, until). CAs get basicConstraints CA:TRUE; every certificate
// gets key identifiers so OpenSSL can tell apart certificates that share a name. `san`: a
// subjectAltName value ("IP:127.0.0.1"), "" for none.
inline Cert IssueNamed(const Subject& subject, const Key& key, X509* issuer, const Key& issuer_key,
                       std::time_t from, std::time_t until, bool ca, const std::string& san = "") {
  static long serial = 1;
  Cert x(X509_new());
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), serial++);
  X509_NAME* name = X509_get_subject_name(x.get());
  for (const auto& [field, value] : subject) {
    EXPECT_EQ(X509_NAME_add_entry_by_txt(name, field.c_str(), MBSTRING_UTF8,
                                         reinterpret_cast<const unsigned char*>(value.c_str()), -1,
                                         -1, 0),
              1)
        << field;
  }
  X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer) : name);
  ASN1_TIME_set(X509_getm_notBefore(x.get()), from);
  ASN1_TIME_set(X509_getm_notAfter(x.get()), until);
  X509_set_pubkey(x.get(), key.get());
  X509* signer = issuer ? issuer : x.get();
  AddExtension(x.get(), signer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
  AddExtension(x.get(), signer, NID_key_usage,
               ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
  AddExtension(x.get(), signer, NID_subject_key_identifier, "hash");
  AddExtension(x.get(), signer, NID_authority_key_identifier, "keyid:always");
  if (!san.empty()) AddExtension(x.get(), signer, NID_subject_alt_name, san.c_str());
  EXPECT_GT(X509_sign(x.get(), issuer_key.get(), EVP_sha256()), 0);
  return x;
}

inline Cert Issue(const std::string& cn, const Key& key, X509* issuer, const Key& issuer_key,
                  std::time_t from, std::time_t until, bool ca) {
  return IssueNamed({{"CN", cn}}, key, issuer, issuer_key, from, until, ca);
}

inline std::string Pem(std::initializer_list<X509*> certs) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  for (X509* c : certs) PEM_write_bio_X509(bio.get(), c);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, n);
}

inline std::string KeyPem(const Key& key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, n);
}

}  // namespace stepup::testing
