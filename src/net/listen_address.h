// Listener addresses as operators write them on the command line.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "core/result.h"

namespace stepup {

// "127.0.0.1:8069", "[::1]:8069", "[::]:8069" -> address and port (":8069": on 127.0.0.1; port 0:
// any free one). IPv6 addresses go in brackets. The error names the flag and the value.
Result<std::pair<std::string, uint16_t>> ParseListenAddress(const std::string& flag,
                                                            const std::string& value);

// Whether an address (as ParseListenAddress returns it) is a loopback one: 127.0.0.0/8, ::1.
bool IsLoopbackAddress(const std::string& address);

}  // namespace stepup
