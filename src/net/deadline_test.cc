#include "net/deadline.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace stepup {
namespace {

using namespace std::chrono_literals;
using Clock = Deadline::Clock;

class DeadlineTest : public testing::Test {
 protected:
  // Runs the io_context until it has nothing left (the Deadline's waits included).
  void Run() {
    io_.restart();
    io_.run();
  }
  // Counts `d`'s expiries in fired_, the last one's time in at_.
  void Track(Deadline& d) {
    d.OnExpiry([this] {
      ++fired_;
      at_ = Clock::now();
    });
  }
  boost::asio::io_context io_;
  int fired_ = 0;
  Clock::time_point at_;
  const Clock::time_point start_ = Clock::now();
};

TEST_F(DeadlineTest, FiresOnceItsTimePasses) {
  Deadline d(io_.get_executor());
  Track(d);
  d.SetAfter(30ms);
  Run();
  EXPECT_EQ(fired_, 1);
  EXPECT_GE(at_ - start_, 30ms);
}

TEST_F(DeadlineTest, MovingItLaterPostponesTheExpiry) {
  Deadline d(io_.get_executor());
  Track(d);
  d.SetAfter(20ms);
  d.SetAfter(80ms);  // progress: no timer operation, the first wait re-arms
  Run();
  EXPECT_EQ(fired_, 1);
  EXPECT_GE(at_ - start_, 80ms);
}

TEST_F(DeadlineTest, MovingItEarlierFiresEarlier) {
  Deadline d(io_.get_executor());
  Track(d);
  d.SetAfter(10s);
  d.SetAfter(20ms);
  Run();  // would take 10 s if the first wait still counted
  EXPECT_EQ(fired_, 1);
  EXPECT_LT(at_ - start_, 5s);
}

TEST_F(DeadlineTest, StopMeansItNeverFires) {
  Deadline d(io_.get_executor());
  int fired = 0;
  d.OnExpiry([&] { ++fired; });
  d.SetAfter(10ms);
  d.Stop();
  Run();
  EXPECT_EQ(fired, 0);
}

TEST_F(DeadlineTest, DestroyedBeforeItsTimeItNeverFires) {
  int fired = 0;
  {
    Deadline d(io_.get_executor());
    d.OnExpiry([&] { ++fired; });
    d.SetAfter(10ms);
  }
  Run();  // the pending wait completes without touching the destroyed Deadline
  EXPECT_EQ(fired, 0);
}

TEST_F(DeadlineTest, HandlerMaySetItAgain) {
  Deadline d(io_.get_executor());
  int fired = 0;
  d.OnExpiry([&] {
    if (++fired < 3) d.SetAfter(5ms);
  });
  d.SetAfter(5ms);
  Run();
  EXPECT_EQ(fired, 3);
}

TEST_F(DeadlineTest, HandlerMayStopIt) {
  Deadline d(io_.get_executor());
  int fired = 0;
  d.OnExpiry([&] {
    ++fired;
    d.Stop();  // releases the handler while it runs
    d.SetAfter(5ms);
  });
  d.SetAfter(5ms);
  Run();
  EXPECT_EQ(fired, 1);
}

TEST_F(DeadlineTest, RunAfterRunsOnceAfterTheDelay) {
  const auto start = Clock::now();
  Clock::time_point at;
  int runs = 0;
  RunAfter(io_.get_executor(), 25ms, [&](bool fired) {
    EXPECT_TRUE(fired);
    ++runs;
    at = Clock::now();
  });
  Run();
  EXPECT_EQ(runs, 1);
  EXPECT_GE(at - start, 25ms);
}

}  // namespace
}  // namespace stepup
