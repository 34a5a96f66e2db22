// The server side of HTTPS: the TLS settings of a listener (its certificate and key, the CA
// its phones' client certificates must chain to, the protocol profile), and what a finished
// handshake says about the client's certificate. The HTTP sessions run over it unchanged
// (net/http_server.cc); what a certificate means for a device is the provisioner's.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"

namespace boost::asio::ssl {
class context;
}
struct ssl_st;
struct x509_store_ctx_st;

namespace stepup {

struct TlsOptions {
  std::string cert_file;  // --tls-cert: PEM, the server's certificate then its intermediates
  std::string key_file;   // --tls-key: PEM private key
  std::string client_ca;  // --client-ca: PEM CA(s) phones' certificates must chain to; "" none
  bool require_client_cert = false;  // --require-client-cert: no verified certificate, 403
  // --tls-legacy: TLS 1.0 and 1.1, the old cipher suites and SHA-1 signatures, for SPA/PAP
  // firmware that knows nothing newer. Off by default; the server says so when it is on.
  bool legacy = false;
};

// Builds the listener's context; the error names the flag and the file (a key that does not
// match the certificate, a CA file with no certificate). Needs --tls-cert and --tls-key.
Result<std::shared_ptr<boost::asio::ssl::context>> MakeTlsContext(const TlsOptions& options);

// What a connection's handshake established about the client.
struct TlsPeer {
  // The verified client certificate's subject as IdentifyCertSubject reads it
  // ("C=US, O=Cisco Systems Inc., OU=CP-8841-3PCC, L=FCH1932A3BC, ST=00562b043615"); "" when
  // no certificate was presented or it failed verification.
  std::string subject;
  // Why a presented certificate was refused ("certificate has expired: CN=..., notAfter
  // 2024-01-01"), or that the listener requires one and none came; "" otherwise.
  std::string error;
  std::string version;  // the protocol negotiated: "TLSv1.3", "TLSv1" (legacy)...
};

// Records the first verification failure of a handshake (the verify callback of a stream;
// returns 1 so the handshake completes and the refusal is answered as HTTP 403 with an event,
// not as a TLS alert the phone logs as a network error). `first_error` is the connection's.
bool NoteVerification(bool preverified, x509_store_ctx_st* ctx, std::string& first_error);

// After a handshake: the client certificate's verdict.
TlsPeer ReadTlsPeer(ssl_st* ssl, const std::string& first_error, bool require_client_cert);

}  // namespace stepup
