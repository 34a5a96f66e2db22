#include "net/deadline.h"

namespace stepup {

struct Deadline::State {
  explicit State(const boost::asio::any_io_executor& ex) : timer(ex) {}
  boost::asio::steady_timer timer;
  std::function<void()> handler;
  Clock::time_point at = Clock::time_point::max(), armed_for;
  uint64_t seq = 0;  // of the wait that counts; a replaced or stopped wait sees a stale one
  bool armed = false;
};

Deadline::Deadline(const boost::asio::any_io_executor& executor)
    : state_(std::make_shared<State>(executor)) {}

Deadline::~Deadline() { Stop(); }

void Deadline::OnExpiry(std::function<void()> handler) { state_->handler = std::move(handler); }

void Deadline::Set(Clock::time_point at) {
  state_->at = at;
  if (state_->armed && state_->armed_for <= at) return;  // it fires first and re-arms
  Arm(state_);
}

void Deadline::Stop() {
  ++state_->seq;
  state_->armed = false;
  state_->at = Clock::time_point::max();
  state_->handler = nullptr;
  state_->timer.cancel();
}

Deadline::Clock::time_point Deadline::at() const { return state_->at; }

void Deadline::Arm(const std::shared_ptr<State>& s) {
  s->armed = true;
  s->armed_for = s->at;
  const uint64_t seq = ++s->seq;
  s->timer.expires_at(s->at);
  s->timer.async_wait([s, seq](boost::system::error_code ec) {
    if (seq != s->seq) return;  // replaced by an earlier deadline, or stopped
    s->armed = false;
    if (ec) return;
    if (Clock::now() < s->at) return Arm(s);  // moved later since: wait on
    s->at = Clock::time_point::max();
    // A copy: the handler may Stop() (or destroy) the Deadline, and with it s->handler.
    if (auto handler = s->handler) handler();
  });
}

}  // namespace stepup
