#include "core/tftp_packet.h"

#include <gtest/gtest.h>

#include <cstring>

namespace stepup {
namespace {

std::string Rrq(const std::string& body) { return std::string("\0\1", 2) + body; }

// A read request from its NUL-terminated fields: file name, mode, option names and values.
std::string Request(const std::vector<std::string>& fields) {
  std::string out("\0\1", 2);
  for (const auto& f : fields) out += f + std::string(1, '\0');
  return out;
}

TEST(TftpPacket, ParsesReadRequestsWithOptions) {
  auto p = ParseTftp(Request(
      {"SEP001B2A893698.cnf.xml", "OCTET", "blksize", "1428", "tsize", "0", "windowsize", "16"}));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->op, TftpOp::kRrq);
  EXPECT_EQ(p->filename, "SEP001B2A893698.cnf.xml");
  EXPECT_EQ(p->mode, "octet");
  ASSERT_EQ(p->options.size(), 3u);
  TftpTransferOptions t = NegotiateTftp(*p, 4194304, 65464);
  EXPECT_EQ(t.blksize, 1428u);
  EXPECT_EQ(t.windowsize, 16u);
  EXPECT_TRUE(t.want_tsize);
  EXPECT_EQ(t.oack, (std::vector<std::pair<std::string, std::string>>{
                        {"blksize", "1428"}, {"tsize", "4194304"}, {"windowsize", "16"}}));
}

TEST(TftpPacket, OutOfRangeAndUnknownOptionsAreNotAcknowledged) {
  auto p = ParseTftp(Request(
      {"f", "octet", "blksize", "0", "timeout", "0", "windowsize", "70000", "colour", "blue"}));
  ASSERT_TRUE(p.ok());
  TftpTransferOptions t = NegotiateTftp(*p, 10, 65464);
  EXPECT_EQ(t.blksize, 512u);
  EXPECT_EQ(t.windowsize, 1u);
  EXPECT_TRUE(t.oack.empty());
  auto big = ParseTftp(Request({"f", "octet", "blksize", "65464"}));
  EXPECT_EQ(NegotiateTftp(*big, 10, 8192).blksize, 8192u);  // capped by the server
}

TEST(TftpPacket, HostilePacketsAreErrorsNamingTheProblem) {
  struct Case {
    std::string bytes, expect;
  };
  std::string many = "f";
  many.push_back('\0');
  many += "octet";
  many.push_back('\0');
  for (int i = 0; i < 40; ++i) many += std::string("o") + std::to_string(i) + '\0' + "1" + '\0';
  for (const auto& c :
       std::vector<Case>{{"", "too short"},
                         {std::string("\0\1x", 3), "too short"},
                         {Rrq("nonul"), "file name has no terminating NUL"},
                         {Rrq(std::string("f\0octet", 7)), "mode has no terminating NUL"},
                         {Rrq(std::string("\0octet\0", 7)), "empty file name"},
                         {Rrq(std::string("f\0mail\0", 7)), "unsupported mode"},
                         {Rrq(std::string("f\0octet\0blksize\0", 16)), "option without"},
                         {Rrq(many), "more than 32 options"},
                         {std::string("\0\x09\0\0", 4), "unknown TFTP opcode 9"},
                         {std::string("\0\4\0\1\0", 5), "ACK of 5 bytes"}}) {
    auto p = ParseTftp(c.bytes);
    ASSERT_FALSE(p.ok()) << c.expect;
    EXPECT_NE(p.error().message.find(c.expect), std::string::npos) << p.error().message;
  }
}

TEST(TftpPacket, BuildsPacketsAndNetascii) {
  EXPECT_EQ(TftpAck(258), std::string("\0\4\1\2", 4));
  EXPECT_EQ(TftpData(1, "ab"), std::string("\0\3\0\1ab", 6));
  EXPECT_EQ(TftpErrorPacket(TftpError::kAccessViolation, "no"), std::string("\0\5\0\2no\0", 7));
  EXPECT_EQ(TftpOack({{"tsize", "5"}}), std::string("\0\6tsize\0"
                                                    "5\0",
                                                    10));
  EXPECT_EQ(ToNetascii("a\nb\rc"), std::string("a\r\nb\r\0c", 7));
  const std::string bytes = TftpData(65535, "xyz");  // the parsed data is a view into these bytes
  auto d = ParseTftp(bytes);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->block, 65535);
  EXPECT_EQ(d->data, "xyz");
}

TEST(TftpPacket, BuildsRequestsTheParserReadsBack) {
  EXPECT_EQ(TftpRequest(TftpOp::kRrq, "f.bin"), std::string("\0\1f.bin\0octet\0", 14));
  const std::string wrq =
      TftpRequest(TftpOp::kWrq, "up.txt", "netascii", {{"blksize", "1428"}, {"tsize", "0"}});
  auto p = ParseTftp(wrq);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->op, TftpOp::kWrq);
  EXPECT_EQ(p->filename, "up.txt");
  EXPECT_EQ(p->mode, "netascii");
  EXPECT_EQ(p->options, (TftpOptions{{"blksize", "1428"}, {"tsize", "0"}}));
}

TEST(TftpPacket, BuildsDataInPlaceInABufferReusedFromPacketToPacket) {
  std::string buf = "left over from a bigger packet";
  char* payload = TftpDataInto(buf, 0x0102, 3);
  std::memcpy(payload, "abc", 3);
  EXPECT_EQ(buf, TftpData(0x0102, "abc"));
  TftpDataInto(buf, 7, 0);  // the last block of a file of a whole number of blocks: empty
  EXPECT_EQ(buf, std::string("\0\3\0\7", 4));
}

}  // namespace
}  // namespace stepup
