// What a simulated enterprise phone shows outside its provisioning requests: its own web page
// (/DeviceInformationX, 79xx-enterprise.md section 6) on its own address, and the alarm line
// it logs after a boot ("cisco-alarm:23 Name=SEP<MAC> Load=<load> Last=reset-restart"). Real
// phones say what they run there, never over TFTP.
#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange
// (kept first)
#include <boost/asio.hpp>
#include <functional>
#include <memory>
#include <string>

#include "core/basic_auth.h"  // BasicAuthorization: what the resync URL checks
#include "core/catalog.h"
#include "sim/phone.h"

namespace stepup::sim {

// The page as a 79x1+ phone shows it: versionID the load it runs, appLoadID its jar image
// when the catalog knows the load's files.
std::string DeviceInformationPage(const Catalog& catalog, const PhoneState& p);
// The alarm line a phone logs after it booted.
std::string BootAlarm(const PhoneState& p);
// Answers on `acceptor`, until it is closed: GET /DeviceInformationX with the page of an
// enterprise phone as it is at that moment (`page`), and GET /admin/resync (the SPA/MPP
// resync URL) with the status `resync` returns for the request's Authorization header.
boost::asio::awaitable<void> ServePhonePage(std::shared_ptr<boost::asio::ip::tcp::acceptor> acceptor,
                                            const Catalog& catalog, const PhoneState& p, bool page,
                                            std::function<int(const std::string&)> resync);
// Sends one syslog datagram from `self` to `to` (best effort, as syslog is).
void SendSyslog(boost::asio::io_context& ioc, const boost::asio::ip::address& self,
                const boost::asio::ip::udp::endpoint& to, const std::string& line);

}  // namespace stepup::sim
