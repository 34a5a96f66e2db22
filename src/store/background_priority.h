// Background threads (the event writer, the access-log writer, housekeeping) yield to the
// threads that answer phones. On a machine whose cores are all busy answering (a boot storm,
// a benchmark), a writer that wakes every 50 ms would otherwise preempt an answering thread
// for the length of its batch, and that pause is the tail of every request waiting behind it.
// SCHED_BATCH tells the scheduler not to preempt for its wake-ups, and a nice of 5 gives it
// about a third of an answering thread's share when they compete: ample for work that takes
// a few percent of a core, and it still runs within its deadline (contract.md: events at most
// 200 ms behind). Not for the group committer: hop answers wait for it.
#pragma once

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

namespace stepup {

// Call on the thread itself, first thing. Best effort: a failure leaves the default policy.
inline void YieldToAnsweringThreads() {
  sched_param none{};
  (void)pthread_setschedparam(pthread_self(), SCHED_BATCH, &none);
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 5);
}

}  // namespace stepup
