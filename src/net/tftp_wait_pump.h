// Runs a TftpWaitRoom for the TFTP listener: holds requests over their address's limits,
// pumps the room every few milliseconds while it has business (on the listener's strand, as
// requests are handled), and writes its once-per-address reports to the access log as
// "tftp throttled ip=... held=N started=N expired=N refused=N limit=TRANSFERS,RATE".
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <string>

#include "net/http_server.h"
#include "net/tftp_admission.h"
#include "net/tftp_wait_room.h"

namespace stepup {

class TftpWaitPump : public std::enable_shared_from_this<TftpWaitPump> {
 public:
  // `strand`: the listener's; `admission` must outlive every pump turn (Stop ends them).
  TftpWaitPump(const boost::asio::any_io_executor& strand, TftpAdmission& admission,
               size_t capacity, std::chrono::milliseconds max_hold, AccessLog log);

  // Whether the request `key` (endpoint and file) is held: its copies start nothing.
  bool Holds(const std::string& key) const { return room_.Holds(key); }
  // Holds a request from `ip`; `resume` runs it again once the address has room (on the
  // strand). False when the room is full (the caller refuses it). Call on the strand.
  [[nodiscard]] bool Hold(const std::string& ip, const std::string& key,
                          TftpWaitRoom::Resume resume);
  // No more turns (on the strand).
  void Stop();

 private:
  void Pump();

  TftpAdmission& admission_;
  AccessLog log_;
  TftpWaitRoom room_;
  boost::asio::any_io_executor strand_;
  bool pumping_ = false, stopped_ = false;
};

}  // namespace stepup
