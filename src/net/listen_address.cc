#include "net/listen_address.h"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cctype>

namespace stepup {

namespace net = boost::asio;

Result<std::pair<std::string, uint16_t>> ParseListenAddress(const std::string& flag,
                                                            const std::string& value) {
  std::string host, port;
  if (!value.empty() && value[0] == '[') {
    size_t close = value.find(']');
    if (close == std::string::npos || close + 1 >= value.size() || value[close + 1] != ':') {
      return BadInput(flag + " \"" + value + "\" is not [ADDRESS]:PORT");
    }
    host = value.substr(1, close - 1);
    port = value.substr(close + 2);
  } else {
    size_t colon = value.rfind(':');
    if (colon == std::string::npos)
      return BadInput(flag + " \"" + value + "\" is not ADDRESS:PORT");
    host = value.substr(0, colon);
    port = value.substr(colon + 1);
  }
  if (host.empty()) host = "127.0.0.1";
  if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit) ||
      std::stoi(port) > 65535) {
    return BadInput(flag + " \"" + value + "\": bad port");
  }
  boost::system::error_code ec;
  net::ip::make_address(host, ec);
  if (ec) return BadInput(flag + " \"" + value + "\": \"" + host + "\" is not an IP address");
  return std::make_pair(host, static_cast<uint16_t>(std::stoi(port)));
}

}  // namespace stepup
