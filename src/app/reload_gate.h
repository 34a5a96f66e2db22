// The provisioner's knowledge (catalog, templates, operator defaults) is replaced whole on a
// reload (SIGHUP). Requests pin it for their duration; a reload waits for the pinned ones and
// holds new ones back for the instant of the swap, so no request sees half of each. The lock
// prefers the writer: a boot storm's overlapping requests cannot starve a reload. A thread
// already pinned (a request that calls another entry point) does not lock again.
#pragma once

#include <pthread.h>

namespace stepup {

class ReloadGate {
 public:
  ReloadGate() {
    pthread_rwlockattr_t a;
    pthread_rwlockattr_init(&a);
    pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&lock_, &a);
    pthread_rwlockattr_destroy(&a);
  }
  ~ReloadGate() { pthread_rwlock_destroy(&lock_); }
  ReloadGate(const ReloadGate&) = delete;
  ReloadGate& operator=(const ReloadGate&) = delete;

  // Held while a request works with the current knowledge.
  class Pin {
   public:
    explicit Pin(ReloadGate& g) : g_(g), outer_(held_ != &g) {
      if (!outer_) return;
      pthread_rwlock_rdlock(&g_.lock_);
      prev_ = held_;
      held_ = &g_;
    }
    ~Pin() {
      if (!outer_) return;
      held_ = prev_;
      pthread_rwlock_unlock(&g_.lock_);
    }
    Pin(const Pin&) = delete;
    Pin& operator=(const Pin&) = delete;

   private:
    ReloadGate& g_;
    bool outer_;
    const ReloadGate* prev_ = nullptr;
  };
  // Held while the knowledge is swapped: no request is pinned meanwhile.
  class Exclusive {
   public:
    explicit Exclusive(ReloadGate& g) : g_(g) { pthread_rwlock_wrlock(&g_.lock_); }
    ~Exclusive() { pthread_rwlock_unlock(&g_.lock_); }
    Exclusive(const Exclusive&) = delete;
    Exclusive& operator=(const Exclusive&) = delete;

   private:
    ReloadGate& g_;
  };

 private:
  static inline thread_local const ReloadGate* held_ = nullptr;
  pthread_rwlock_t lock_;
};

}  // namespace stepup
