// Phones' syslog lines (Log_Upgrade_Failure_Msg and the like) over UDP, handed to the
// provisioner as evidence about the device last seen at the sender's address.
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <string>

#include "app/provisioner.h"
#include "core/result.h"

namespace stepup {

class SyslogReceiver {
 public:
  SyslogReceiver(boost::asio::io_context& ioc, Provisioner& prov);
  // Binds ADDRESS:PORT and starts receiving; the error names the address (as --syslog).
  Status Start(const std::string& address, uint16_t port);
  // Closes the socket (on its strand: safe from any thread). The receiver must outlive the
  // io_context's run.
  void Stop();

 private:
  void Receive();

  boost::asio::ip::udp::socket socket_;
  boost::asio::ip::udp::endpoint from_;
  std::array<char, 2048> buf_{};
  Provisioner& prov_;
};

}  // namespace stepup
