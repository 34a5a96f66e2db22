// The in-process test servers' configuration: a data directory of the test's own, both
// listeners on ephemeral loopback ports, the access log in a file, no phone web pages read.
#pragma once

#include <filesystem>

#include "server/server.h"

namespace stepup {

inline ServerConfig TestServerConfig(const std::filesystem::path& dir) {
  ServerConfig c;
  c.data.dir = (dir / "data").string();
  c.http = "127.0.0.1:0";
  c.tftp = "127.0.0.1:0";
  c.access_log = (dir / "access.log").string();
  c.probe_phones = "off";
  c.threads = 2;
  return c;
}

}  // namespace stepup
