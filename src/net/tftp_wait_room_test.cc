#include "net/tftp_wait_room.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace stepup {
namespace {

using Clock = TftpWaitRoom::Clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(TftpWaitRoom, HeldRequestsStartInArrivalOrderAsTheirAddressGetsRoom) {
  std::vector<std::string> started;
  TftpWaitRoom room(100, seconds(5), seconds(10), nullptr);
  const auto t = Clock::now();
  for (const char* key : {"a:1", "a:2", "a:3"})
    EXPECT_EQ(room.Hold(
                  "a", key, [&, key] { started.push_back(key); }, t),
              TftpWaitRoom::Verdict::kHeld);
  EXPECT_EQ(room.Hold(
                "a", "a:2", [] {}, t),
            TftpWaitRoom::Verdict::kAlreadyHeld);  // a copy
  EXPECT_TRUE(room.Holds("a:2"));
  int room_for = 2;
  room.Pump([&](const std::string&) { return room_for-- > 0; }, t + milliseconds(5));
  EXPECT_EQ(started, (std::vector<std::string>{"a:1", "a:2"}));
  EXPECT_FALSE(room.Holds("a:1"));
  room.Pump([](const std::string&) { return true; }, t + milliseconds(10));
  EXPECT_EQ(started.back(), "a:3");
  EXPECT_EQ(room.totals().started, 3u);
}

TEST(TftpWaitRoom, WhatWaitsTooLongIsLetGoAndAFullRoomRefuses) {
  TftpWaitRoom room(2, seconds(5), seconds(10), nullptr);
  const auto t = Clock::now();
  bool ran = false;
  EXPECT_EQ(room.Hold(
                "a", "a:1", [&] { ran = true; }, t),
            TftpWaitRoom::Verdict::kHeld);
  EXPECT_EQ(room.Hold(
                "b", "b:1", [] {}, t),
            TftpWaitRoom::Verdict::kHeld);
  EXPECT_EQ(room.Hold(
                "c", "c:1", [] {}, t),
            TftpWaitRoom::Verdict::kFull);
  room.Pump([](const std::string&) { return false; }, t + seconds(6));
  EXPECT_FALSE(ran);
  EXPECT_EQ(room.size(), 0u);
  EXPECT_EQ(room.totals().expired, 2u);
  EXPECT_EQ(room.totals().refused, 1u);
}

TEST(TftpWaitRoom, EachAddressIsReportedOncePerInterval) {
  std::map<std::string, std::vector<uint64_t>> reports;  // ip -> held per report
  TftpWaitRoom room(
      1000, seconds(5), seconds(10),
      [&](const std::string& ip, const TftpWaitRoom::Counts& c) { reports[ip].push_back(c.held); });
  const auto t = Clock::now();
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(room.Hold(
                  "a", "a:" + std::to_string(i), [] {}, t + milliseconds(i)),
              TftpWaitRoom::Verdict::kHeld);
    room.Pump([](const std::string&) { return true; }, t + milliseconds(i));
  }
  EXPECT_EQ(room.Hold(
                "b", "b:1", [] {}, t),
            TftpWaitRoom::Verdict::kHeld);
  room.Pump([](const std::string&) { return true; }, t + milliseconds(60));
  EXPECT_EQ(reports["a"], (std::vector<uint64_t>{1}));  // the first at once, the rest wait
  room.Pump([](const std::string&) { return true; }, t + seconds(11));
  EXPECT_EQ(reports["a"], (std::vector<uint64_t>{1, 49}));
  EXPECT_EQ(reports["b"].size(), 1u);
  EXPECT_EQ(room.Pump([](const std::string&) { return true; }, t + seconds(22)), 0u);
}

}  // namespace
}  // namespace stepup
