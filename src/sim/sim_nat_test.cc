// The simulated NAT's port pool (sim_nat.h): a let-go port waits out its mapping time-out
// before its next user, oldest first; a dry pool evicts its oldest mapping early.
#include "sim/sim_nat.h"

#include <gtest/gtest.h>

namespace stepup::sim {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(SimNat, AReleasedPortWaitsOutTheHoldBeforeItsNextUser) {
  const auto t0 = NatPorts::Clock::time_point{} + seconds(1000);
  NatPorts pool(20000, 3, seconds(30));
  EXPECT_EQ(pool.Take(t0), 20000);
  EXPECT_EQ(pool.Take(t0), 20001);
  pool.Give(20000, t0 + seconds(1));
  EXPECT_EQ(pool.Take(t0 + seconds(2)), 20002);  // never used: free at once
  EXPECT_EQ(pool.reused(), 0u);
  // Only 20000 is free, let go 1 s ago: handed out early (the pool is dry), and counted so.
  EXPECT_EQ(pool.Take(t0 + seconds(2)), 20000);
  EXPECT_EQ(pool.early(), 1u);
  EXPECT_EQ(pool.Take(t0 + seconds(2)), 0);  // all in use: the kernel picks
  pool.Give(20001, t0 + seconds(3));
  pool.Give(20002, t0 + seconds(4));
  EXPECT_EQ(pool.Take(t0 + seconds(40)), 20001);  // oldest let go first, after its time-out
  EXPECT_EQ(pool.reused(), 1u);
  EXPECT_EQ(pool.early(), 1u);
}

TEST(SimNat, HoldZeroRecyclesAtOnce) {
  const auto t0 = NatPorts::Clock::time_point{} + seconds(1000);
  NatPorts pool(20000, 1, milliseconds(0));
  EXPECT_EQ(pool.Take(t0), 20000);
  pool.Give(20000, t0);
  EXPECT_EQ(pool.Take(t0), 20000);
  EXPECT_EQ(pool.reused(), 1u);
  EXPECT_EQ(pool.early(), 0u);
}

TEST(SimNat, PortsOutsideThePoolAreNotTakenBack) {
  NatPorts pool(20000, 1, milliseconds(0));
  EXPECT_EQ(pool.Take(), 20000);
  pool.Give(40000);
  EXPECT_EQ(pool.Take(), 0);
}

}  // namespace
}  // namespace stepup::sim
