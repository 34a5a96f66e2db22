#include "net/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/ssl/context.hpp>
#include <cstdio>
#include <ctime>

#include "net/openssl_error.h"

namespace stepup {
namespace {

namespace ssl = boost::asio::ssl;

// A name entry's value as text safe for the subject line: the separators IdentifyCertSubject
// splits on, and control characters, become spaces; at most 128 bytes.
std::string EntryText(X509_NAME_ENTRY* e) {
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
  if (n < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(std::min(n, 128)));
  OPENSSL_free(utf8);
  for (char& c : out) {
    if (c == ',' || c == '/' || c == '=' || static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return out;
}

std::string SubjectLine(X509* cert) {
  X509_NAME* name = X509_get_subject_name(cert);
  std::string out;
  for (int i = 0; name && i < X509_NAME_entry_count(name); ++i) {
    X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    const char* sn = OBJ_nid2sn(OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)));
    if (!sn) continue;
    if (!out.empty()) out += ", ";
    (out += sn) += '=';
    out += EntryText(e);
  }
  return out;
}

std::string CommonName(X509* cert) {
  X509_NAME* name = X509_get_subject_name(cert);
  const int i = name ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
  return i < 0 ? SubjectLine(cert) : "CN=" + EntryText(X509_NAME_get_entry(name, i));
}

std::string Day(const ASN1_TIME* t) {
  struct tm tm {};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return "?";
  char buf[48];  // room for any int the compiler cannot rule out
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return buf;
}

}  // namespace

Result<std::shared_ptr<ssl::context>> MakeTlsContext(const TlsOptions& o) {
  if (o.cert_file.empty() || o.key_file.empty())
    return BadInput("--https needs --tls-cert FILE and --tls-key FILE");
  ERR_clear_error();
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* c = ctx->native_handle();
  SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (o.legacy) {
    // What SPA/PAP firmware of the 2000s speaks: TLS 1.0 with RSA key exchange and SHA-1.
    SSL_CTX_set_min_proto_version(c, TLS1_VERSION);
    SSL_CTX_set_security_level(c, 0);
    if (SSL_CTX_set_cipher_list(c, "DEFAULT:@SECLEVEL=0") != 1)
      return BadInput("--tls-legacy: " + TakeOpenSslError());
  } else {
    SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
  }
  if (SSL_CTX_use_certificate_chain_file(c, o.cert_file.c_str()) != 1)
    return BadInput("--tls-cert \"" + o.cert_file + "\": " + TakeOpenSslError());
  if (SSL_CTX_use_PrivateKey_file(c, o.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(c) != 1) {
    if (ERR_GET_REASON(ERR_peek_last_error()) != X509_R_KEY_VALUES_MISMATCH)
      return BadInput("--tls-key \"" + o.key_file + "\": " + TakeOpenSslError());
    return BadInput("--tls-key \"" + o.key_file + "\" does not match --tls-cert \"" +
                    o.cert_file + "\": " + TakeOpenSslError());
  }
  if (!o.client_ca.empty()) {
    if (SSL_CTX_load_verify_locations(c, o.client_ca.c_str(), nullptr) != 1)
      return BadInput("--client-ca \"" + o.client_ca + "\": " + TakeOpenSslError());
    // The CertificateRequest names the CA, so a phone holding several certificates picks
    // the right one.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(o.client_ca.c_str());
    if (!names) return BadInput("--client-ca \"" + o.client_ca + "\": no CA certificate in it");
    SSL_CTX_set_client_CA_list(c, names);
    // Asked for, verified, but not demanded by TLS: a missing or refused certificate is
    // answered in HTTP (403 and an event), where the phone's operator can see why.
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
    static const unsigned char kId[] = "stepup";
    SSL_CTX_set_session_id_context(c, kId, sizeof kId - 1);
  } else if (o.require_client_cert) {
    return BadInput("--require-client-cert needs --client-ca FILE");
  }
  return ctx;
}

bool NoteVerification(bool preverified, X509_STORE_CTX* ctx, std::string& first_error) {
  if (preverified || !first_error.empty()) return true;
  const int err = X509_STORE_CTX_get_error(ctx);
  X509* cert = X509_STORE_CTX_get_current_cert(ctx);
  first_error = X509_verify_cert_error_string(err);
  if (cert) {
    first_error += ": " + CommonName(cert);
    if (err == X509_V_ERR_CERT_HAS_EXPIRED) first_error += ", notAfter " + Day(X509_get0_notAfter(cert));
    if (err == X509_V_ERR_CERT_NOT_YET_VALID)
      first_error += ", notBefore " + Day(X509_get0_notBefore(cert));
  }
  return true;
}

TlsPeer ReadTlsPeer(SSL* ssl, const std::string& first_error, bool require_client_cert) {
  TlsPeer peer;
  peer.version = SSL_get_version(ssl);
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (!cert) {
    if (require_client_cert) peer.error = "no client certificate (this listener requires one)";
    return peer;
  }
  const long verdict = SSL_get_verify_result(ssl);
  if (verdict == X509_V_OK && first_error.empty()) {
    peer.subject = SubjectLine(cert);
  } else {
    peer.error = "client certificate refused: " +
                 (first_error.empty() ? std::string(X509_verify_cert_error_string(verdict))
                                      : first_error);
  }
  X509_free(cert);
  return peer;
}

}  // namespace stepup
