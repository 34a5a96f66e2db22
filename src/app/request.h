// The transport-neutral request and response every transport (HTTP, HTTPS, TFTP) converts to
// and from. Transports decide nothing about devices; the Provisioner does, once.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace stepup {

struct Request {
  std::string transport = "http";  // "http", "https", "tftp"
  std::string peer;                // "127.0.0.1:40123"
  std::string peer_ip;             // "127.0.0.1"
  std::string method = "GET";      // GET, HEAD (TFTP: GET)
  std::string target;              // path as requested, with its query string
  std::string user_agent;
  std::string authorization;  // HTTP Authorization (the admin API's bearer token); never logged
  std::string content_type;   // HTTP Content-Type (the admin API's writes)
  std::string body;           // HTTP request body (the admin API's writes; phones send none)
  std::string cert_subject;  // verified client certificate's subject (HTTPS), "" if none
  // A client certificate was presented and failed verification, or the listener requires one
  // and none came (net/tls_context.h): why. Such a request is refused.
  std::string cert_error;
  std::string tls_version;  // HTTPS: the protocol negotiated ("TLSv1.3"), "" otherwise
};

struct Response {
  int status = 200;  // HTTP status; TFTP maps 403 -> error 2, 404 -> error 1
  std::string content_type = "application/octet-stream";
  std::string body;    // content, when not a file
  std::string file;    // a file to send instead of body (firmware, operator extras)
  bool firmware = false;  // `file` is a firmware image (a balancer may send it: X-Accel-Redirect)
  std::string device;  // device key for the access log, "" if none
  std::string reason;  // short prose for errors and logs
  // Hop progress this answer reports or offers: the transport sends the answer only once
  // Provisioner::WhenDurable says it is durable (contract.md), and 503 (TFTP: error 0) if it
  // was lost. 0: nothing to wait for.
  uint64_t durable = 0;
  // Send the answer no sooner than this many milliseconds from now (an address that keeps
  // naming unknown devices or failing the identity check is slowed; app/probe_guard.h).
  int delay_ms = 0;
  // Valid for this request only (a hop held back by the download cap): never kept as a settled
  // answer for the next identical request.
  bool transient = false;
  // More header fields for the answer (HTTP; WWW-Authenticate on a 401).
  std::vector<std::pair<std::string, std::string>> headers;
  // Nonzero: no answer yet. The transport calls Provisioner::WhenReady(ready, ...) and hands
  // the same request to Handle again then (the server is reading the phone's web page).
  uint64_t ready = 0;
};

// A short plain-text answer (errors, /healthz): the text is the body and the reason.
inline Response TextResponse(int status, const std::string& text) {
  Response r;
  r.status = status;
  r.content_type = "text/plain";
  r.body = text + "\n";
  r.reason = text;
  return r;
}

}  // namespace stepup
