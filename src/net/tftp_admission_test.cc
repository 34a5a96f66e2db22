#include "net/tftp_admission.h"

#include <gtest/gtest.h>

namespace stepup {
namespace {

using V = TftpAdmission::Verdict;
using Clock = TftpAdmission::Clock;
using std::chrono::milliseconds;

const std::string kIp = "10.0.0.1", kPeer = "10.0.0.1:5000", kFile = "/SEP001B2A893698.cnf.xml";

TEST(TftpAdmission, ACopyReceivedWhileItsTransferRanStartsNothingEvenWhenReadAfterItEnded) {
  TftpAdmission a(SourceLimits({10, 100}));
  const auto asked = Clock::now() - milliseconds(50);  // the transfer took 50 ms
  uint64_t t = 0, unused = 0;
  ASSERT_EQ(a.Admit(kIp, kPeer, kFile, asked, t), V::kStart);
  EXPECT_EQ(a.Admit(kIp, kPeer, kFile, asked + milliseconds(1), unused), V::kDuplicate);
  a.Release(kIp, kPeer, kFile, t, /*answered=*/true);
  // The listener was behind: a copy the client re-sent during the transfer is read only now.
  EXPECT_EQ(a.Admit(kIp, kPeer, kFile, asked + milliseconds(1), unused), V::kDuplicate);
  // What arrives after the answer is a new request, at once.
  EXPECT_EQ(a.Admit(kIp, kPeer, kFile, Clock::now() + milliseconds(1), unused), V::kStart);
}

TEST(TftpAdmission, OnceTheClientHadItsAnswerOnlyWhatItSentBeforeIsACopy) {
  // The client acknowledged the first answer 1 ms after it went out: its copies were all in
  // by then. A request that reached the server later, even before the transfer ended (the
  // client has the last block, the server has not read the final ACK yet) and read after it
  // ended, was sent by a client done with the transfer: a new request.
  TftpAdmission a(SourceLimits({10, 100}));
  uint64_t t = 0, unused = 0;
  const auto asked = Clock::now() - milliseconds(100);
  ASSERT_EQ(a.Admit(kIp, kPeer, kFile, asked, t), V::kStart);
  a.Answering(kPeer, kFile, t, asked + milliseconds(2));
  const auto asked_again = Clock::now();
  a.Release(kIp, kPeer, kFile, t, true);
  EXPECT_EQ(a.Admit(kIp, kPeer, kFile, asked + milliseconds(1), unused), V::kDuplicate);
  EXPECT_EQ(a.Admit(kIp, kPeer, kFile, asked_again, unused), V::kStart);
}

TEST(TftpAdmission, ARecycledPortAskingForTheSameFileAgainIsNeverIgnored) {
  // A NAT or a rebooted phone reuses the endpoint for the same file soon after its answer.
  TftpAdmission a(SourceLimits({10, 100}));
  for (int i = 0; i < 5; ++i) {
    uint64_t t = 0;
    ASSERT_EQ(a.Admit(kIp, kPeer, kFile, Clock::now(), t), V::kStart) << i;
    a.Release(kIp, kPeer, kFile, t, true);
  }
}

TEST(TftpAdmission, AskingAgainAfterTheFirstAnswerWhileTheOldTransferFinishesStartsANewOne) {
  // The client has the last block; the server has not read its final ACK yet when the same
  // port asks for the file again (back-to-back runs, a NAT handing the port on).
  TftpAdmission a(SourceLimits({10, 100}));
  uint64_t first = 0, second = 0, unused = 0;
  const auto asked = Clock::now() - milliseconds(100);
  ASSERT_EQ(a.Admit(kIp, kPeer, kFile, asked, first), V::kStart);
  // Nothing acknowledged yet (waiting for durability, or the answer lost): all copies.
  EXPECT_EQ(a.Admit(kIp, kPeer, kFile, Clock::now(), unused), V::kDuplicate);
  a.Answering(kPeer, kFile, first, asked + milliseconds(2));  // answered at once, 1 ms trip
  EXPECT_EQ(a.Admit(kIp, kPeer, kFile, asked + milliseconds(1), unused), V::kDuplicate);
  ASSERT_EQ(a.Admit(kIp, kPeer, kFile, Clock::now(), second), V::kStart);
  EXPECT_NE(first, second);
  a.Release(kIp, kPeer, kFile, first, true);  // the old one ends: the new one still runs
  EXPECT_EQ(a.Admit(kIp, kPeer, kFile, Clock::now(), unused), V::kDuplicate);
  a.Release(kIp, kPeer, kFile, second, true);
  EXPECT_EQ(a.Admit(kIp, kPeer, kFile, Clock::now() + milliseconds(1), unused), V::kStart);
}

TEST(TftpAdmission, AFailedTransfersRequestMayBeAskedAgainAndOtherFilesStart) {
  TftpAdmission a(SourceLimits({10, 100}));
  const auto asked = Clock::now();
  uint64_t t = 0;
  ASSERT_EQ(a.Admit(kIp, kPeer, kFile, asked, t), V::kStart);
  a.Release(kIp, kPeer, kFile, t, /*answered=*/false);  // timed out: the client gets another go
  ASSERT_EQ(a.Admit(kIp, kPeer, kFile, asked, t), V::kStart);
  a.Release(kIp, kPeer, kFile, t, true);
  EXPECT_EQ(a.Admit(kIp, kPeer, "/other.bin", asked, t), V::kStart);  // not a copy of that one
}

TEST(TftpAdmission, TheNextFileFromThatPortStartsWhileTheLastBlockOfOneIsStillInFlight) {
  // tftp-hpa keeps one port for a session: it asks for the next file as soon as it has
  // the last block of one, before the server has seen the final ACK.
  TftpAdmission a(SourceLimits({10, 100}));
  uint64_t t = 0;
  ASSERT_EQ(a.Admit(kIp, kPeer, kFile, Clock::now(), t), V::kStart);
  EXPECT_EQ(a.Admit(kIp, kPeer, "/next.bin", Clock::now(), t), V::kStart);
  EXPECT_EQ(a.Admit(kIp, kPeer, kFile, Clock::now(), t), V::kDuplicate);
}

TEST(TftpAdmission, LimitsComeFromTheAddresssNetwork) {
  SourceLimits limits({2, 100});
  ASSERT_TRUE(limits.Add("10.9.0.0/16=1,100"));
  TftpAdmission a(limits);
  uint64_t t = 0;
  EXPECT_EQ(a.Admit("10.9.0.1", "10.9.0.1:1", "/a", Clock::now(), t), V::kStart);
  EXPECT_EQ(a.Admit("10.9.0.1", "10.9.0.1:2", "/a", Clock::now(), t), V::kTooMany);
  EXPECT_FALSE(a.HasRoom("10.9.0.1"));
  EXPECT_EQ(a.Admit(kIp, kIp + ":1", "/a", Clock::now(), t), V::kStart);
  EXPECT_EQ(a.Admit(kIp, kIp + ":2", "/a", Clock::now(), t), V::kStart);
  EXPECT_EQ(a.Admit(kIp, kIp + ":3", "/a", Clock::now(), t), V::kTooMany);
}

}  // namespace
}  // namespace stepup
