#include "net/listen_address.h"

#include <algorithm>
#include <boost/asio/ip/address.hpp>

#include "core/text.h"

namespace stepup {

namespace net = boost::asio;

Result<std::pair<std::string, uint16_t>> ParseListenAddress(const std::string& flag,
                                                            const std::string& value) {
  const std::string named = flag + " \"" + value + "\"";
  std::string host, port;
  if (!value.empty() && value[0] == '[') {
    size_t close = value.find(']');
    if (close == std::string::npos || close + 1 >= value.size() || value[close + 1] != ':') {
      return BadInput(named + " is not [ADDRESS]:PORT");
    }
    host = value.substr(1, close - 1);
    port = value.substr(close + 2);
    if (host.find(':') == std::string::npos)  // brackets are for IPv6 (and must hold one)
      return BadInput(named + ": \"[" + host + "]\" is not an IPv6 address");
  } else {
    size_t colon = value.rfind(':');
    if (colon == std::string::npos) return BadInput(named + " is not ADDRESS:PORT");
    host = value.substr(0, colon);
    port = value.substr(colon + 1);
    // "::1:8069" could be an address without a port as well: IPv6 goes in brackets.
    if (host.find(':') != std::string::npos)
      return BadInput(named + ": write an IPv6 address as [ADDRESS]:PORT");
  }
  if (host.empty()) host = "127.0.0.1";
  uint64_t number = 0;
  if (!ParseDecimal(port, 5, &number) || number > 65535) return BadInput(named + ": bad port");
  boost::system::error_code ec;
  net::ip::make_address(host, ec);
  if (ec) return BadInput(named + ": \"" + host + "\" is not an IP address");
  return std::make_pair(host, static_cast<uint16_t>(number));
}

}  // namespace stepup

namespace stepup {

bool IsLoopbackAddress(const std::string& address) {
  boost::system::error_code ec;
  const auto a = net::ip::make_address(address, ec);
  if (ec) return false;
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6()).is_loopback();
  return a.is_loopback();
}

}  // namespace stepup
