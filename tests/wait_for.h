// Tests wait for conditions, not for times: WaitFor polls a predicate until it holds or a
// deadline passes, so a test is as fast as the behaviour allows and fails (rather than passes
// by luck) when the behaviour never comes.
#pragma once

#include <chrono>
#include <thread>

namespace stepup::testing {

// Calls `holds()` every `every` until it returns true (then true) or `timeout` passes (then
// one last call's answer).
template <typename Pred>
bool WaitFor(Pred holds, std::chrono::milliseconds timeout,
             std::chrono::milliseconds every = std::chrono::milliseconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (holds()) return true;
    std::this_thread::sleep_for(every);
  }
  return holds();
}

}  // namespace stepup::testing
