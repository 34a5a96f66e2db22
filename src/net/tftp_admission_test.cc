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
  ASSERT_EQ(a.Admit(kIp, kPeer, kFile, asked), V::kStart);
  EXPECT_EQ(a.Admit(kIp, kPeer, kFile, asked + milliseconds(1)), V::kDuplicate);  // under way
  a.Release(kIp, kPeer, kFile, /*answered=*/true);
  // The listener was behind: a copy the client re-sent during the transfer is read only now.
  EXPECT_EQ(a.Admit(kIp, kPeer, kFile, asked + milliseconds(1)), V::kDuplicate);
  // What arrives after the answer is a new request, at once.
  EXPECT_EQ(a.Admit(kIp, kPeer, kFile, Clock::now() + milliseconds(1)), V::kStart);
}

TEST(TftpAdmission, ACopyWithinTheTransfersRoundTripAfterItsEndIsStillACopy) {
  TftpAdmission a(SourceLimits({10, 100}));
  ASSERT_EQ(a.Admit(kIp, kPeer, kFile, Clock::now()), V::kStart);
  const auto before = Clock::now();
  a.Release(kIp, kPeer, kFile, true, milliseconds(50));
  const auto after = Clock::now();
  EXPECT_EQ(a.Admit(kIp, kPeer, kFile, before + milliseconds(40)), V::kDuplicate);
  EXPECT_EQ(a.Admit(kIp, kPeer, kFile, after + milliseconds(51)), V::kStart);
}

TEST(TftpAdmission, ARecycledPortAskingForTheSameFileAgainIsNeverIgnored) {
  // A NAT or a rebooted phone reuses the endpoint for the same file soon after its answer.
  TftpAdmission a(SourceLimits({10, 100}));
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(a.Admit(kIp, kPeer, kFile, Clock::now()), V::kStart) << i;
    a.Release(kIp, kPeer, kFile, true);
  }
}

TEST(TftpAdmission, AFailedTransfersRequestMayBeAskedAgainAndOtherFilesStart) {
  TftpAdmission a(SourceLimits({10, 100}));
  const auto asked = Clock::now() - milliseconds(50);  // the transfer took 50 ms
  ASSERT_EQ(a.Admit(kIp, kPeer, kFile, asked), V::kStart);
  a.Release(kIp, kPeer, kFile, /*answered=*/false);  // timed out: the client gets another go
  EXPECT_EQ(a.Admit(kIp, kPeer, kFile, asked), V::kStart);
  a.Release(kIp, kPeer, kFile, true);
  EXPECT_EQ(a.Admit(kIp, kPeer, "/other.bin", asked), V::kStart);  // not a copy of that one
}

TEST(TftpAdmission, TheNextFileFromThatPortStartsWhileTheLastBlockOfOneIsStillInFlight) {
  // tftp-hpa keeps one port for a session: it asks for the next file as soon as it has
  // the last block of one, before the server has seen the final ACK.
  TftpAdmission a(SourceLimits({10, 100}));
  ASSERT_EQ(a.Admit(kIp, kPeer, kFile, Clock::now()), V::kStart);
  EXPECT_EQ(a.Admit(kIp, kPeer, "/next.bin", Clock::now()), V::kStart);
  EXPECT_EQ(a.Admit(kIp, kPeer, kFile, Clock::now()), V::kDuplicate);
}

}  // namespace
}  // namespace stepup
