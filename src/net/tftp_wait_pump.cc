#include "net/tftp_wait_pump.h"

#include "net/deadline.h"
#include "net/http_wire.h"

namespace stepup {
namespace {

// What was throttled from one address since its last such line.
std::string ThrottledLine(const std::string& ip, const TftpWaitRoom::Counts& c,
                          const SourceLimit& limit) {
  std::string line;
  AppendLogTime(line);
  return line + " tftp throttled ip=" + ip + " held=" + std::to_string(c.held) +
         " started=" + std::to_string(c.started) + " expired=" + std::to_string(c.expired) +
         " refused=" + std::to_string(c.refused) + " limit=" + std::to_string(limit.transfers) +
         "," + std::to_string(limit.rate);
}

}  // namespace

TftpWaitPump::TftpWaitPump(const boost::asio::any_io_executor& strand, TftpAdmission& admission,
                           size_t capacity, std::chrono::milliseconds max_hold, AccessLog log)
    : admission_(admission),
      log_(std::move(log)),
      room_(capacity, max_hold, std::chrono::seconds(10),
            [this](const std::string& ip, const TftpWaitRoom::Counts& c) {
              if (log_) log_(ThrottledLine(ip, c, admission_.limits().For(ip)));
            }),
      strand_(strand) {}

bool TftpWaitPump::Hold(const std::string& ip, const std::string& key,
                        TftpWaitRoom::Resume resume) {
  if (room_.Hold(ip, key, std::move(resume), TftpWaitRoom::Clock::now()) ==
      TftpWaitRoom::Verdict::kFull) {
    return false;
  }
  if (!pumping_) Pump();
  return true;
}

void TftpWaitPump::Stop() {
  stopped_ = true;  // the turn already scheduled ends at once
}

// Every few milliseconds while anything waits: the held requests that now have room start, in
// arrival order per address.
void TftpWaitPump::Pump() {
  pumping_ = true;  // a request this turn resumes and holds again waits for the next turn
  pumping_ =
      !stopped_ && room_.Pump([this](const std::string& ip) { return admission_.HasRoom(ip); },
                              TftpWaitRoom::Clock::now()) > 0;
  if (!pumping_) return;
  RunAfter(strand_, std::chrono::milliseconds(5), [self = shared_from_this()](bool fired) {
    if (!fired || self->stopped_) {
      self->pumping_ = false;
      return;
    }
    self->Pump();
  });
}

}  // namespace stepup
