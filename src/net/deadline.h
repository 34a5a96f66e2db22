// Timers for the transports, written once: a session's moving deadline (HTTP request/idle/
// write deadlines, TFTP retransmission and upload timeouts, the phone probe's one deadline,
// the TFTP wait room's pump) and a one-shot delay (an answer an address is slowed for).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <utility>

namespace stepup {

// One deadline of one session, used on the session's strand. Moving it later costs no timer
// operation (the timer, when it fires early, re-arms for the new time), so a busy session
// re-arms nothing per packet or request; moving it earlier replaces the pending wait. The
// handler runs on the executor once the deadline passes with no Set since; Stop() (and the
// destructor) make sure it never runs again.
class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Deadline(const boost::asio::any_io_executor& executor);
  ~Deadline();
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  // What runs when a deadline passes; set before the first Set. It holds its owner weakly
  // (the owner holds the Deadline; a strong hold is a cycle until Stop()).
  void OnExpiry(std::function<void()> handler);
  // The deadline is now `at` (or `after` from now).
  void Set(Clock::time_point at);
  void SetAfter(Clock::duration after) { Set(Clock::now() + after); }
  // No deadline, and the handler released: the owner is done.
  void Stop();
  Clock::time_point at() const;

 private:
  struct State;
  static void Arm(const std::shared_ptr<State>& s);
  std::shared_ptr<State> state_;  // shared with the pending wait, which may outlive this
};

// Runs `then(fired)` on `executor` after `delay`: fired is false when the wait was cancelled
// (the io_context stopped). `then` may be move-only.
template <typename Then>
void RunAfter(const boost::asio::any_io_executor& executor, std::chrono::milliseconds delay,
              Then then) {
  auto timer = std::make_shared<boost::asio::steady_timer>(executor, delay);
  timer->async_wait(
      [timer, then = std::move(then)](boost::system::error_code ec) mutable { then(!ec); });
}

}  // namespace stepup
