// OpenSSL's error queue as text, for the messages of net/trust_check.cc and net/tls_context.cc.
#pragma once

#include <openssl/err.h>

#include <string>

namespace stepup {

// OpenSSL's newest queued error as text, and the queue cleared so it cannot leak into the next
// call's report.
inline std::string TakeOpenSslError() {
  const unsigned long code = ERR_peek_last_error();
  char buf[256] = "unknown error";
  if (code != 0) ERR_error_string_n(code, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

}  // namespace stepup
