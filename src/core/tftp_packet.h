// TFTP packets (RFC 1350) with option extension (RFC 2347: blksize 2348, timeout/tsize 2349,
// windowsize 7440): a pure parser and builders. Errors name what is wrong with the packet.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace stepup {

enum class TftpOp : uint16_t { kRrq = 1, kWrq = 2, kData = 3, kAck = 4, kError = 5, kOack = 6 };

// RFC 1350 error codes.
enum class TftpError : uint16_t {
  kUndefined = 0,
  kNotFound = 1,
  kAccessViolation = 2,
  kDiskFull = 3,
  kIllegalOperation = 4,
  kUnknownTid = 5,
  kFileExists = 6,
  kNoSuchUser = 7,
  kOptionRefused = 8,  // RFC 2347
};

struct TftpPacket {
  TftpOp op = TftpOp::kError;
  // RRQ / WRQ
  std::string filename;
  std::string mode;                                          // lower-case: "octet" or "netascii"
  std::vector<std::pair<std::string, std::string>> options;  // lower-case names, in order
  // DATA / ACK
  uint16_t block = 0;
  std::string_view data;  // DATA payload, a view into the parsed bytes
  // ERROR
  uint16_t error_code = 0;
  std::string error_message;
};

// Parses one datagram. Requests need a NUL-terminated file name and mode ("octet" or
// "netascii"), and option name/value pairs; at most 32 options.
Result<TftpPacket> ParseTftp(std::string_view bytes);

// The builders: every TFTP packet this project sends (server, uploads, simulator, tests) is
// assembled here. Option lists are name/value pairs in order.
using TftpOptions = std::vector<std::pair<std::string, std::string>>;
// A read (kRrq) or write (kWrq) request.
std::string TftpRequest(TftpOp op, std::string_view filename, std::string_view mode = "octet",
                        const TftpOptions& options = {});
std::string TftpData(uint16_t block, std::string_view payload);
// DATA for `block` in `out`, reused from packet to packet: the header written and `len` bytes
// of room after it for the payload, whose start is returned.
char* TftpDataInto(std::string& out, uint16_t block, size_t len);
std::string TftpAck(uint16_t block);
std::string TftpErrorPacket(TftpError code, std::string_view message);
std::string TftpOack(const TftpOptions& options);

// What a read request negotiated.
struct TftpTransferOptions {
  uint32_t blksize = 512;
  uint32_t timeout_s = 0;  // 0: the client asked for none (the server picks its own)
  uint32_t windowsize = 1;
  bool want_tsize = false;
  std::vector<std::pair<std::string, std::string>> oack;  // what to acknowledge, empty: no OACK
};

// Applies RFC 2348/2349/7440 to a request's options: values out of range are ignored (not
// acknowledged), unknown options ignored; blksize capped at max_blksize.
TftpTransferOptions NegotiateTftp(const TftpPacket& rrq, uint64_t file_size, uint32_t max_blksize);

// netascii: LF -> CR LF, CR -> CR NUL (RFC 1350 / RFC 764).
std::string ToNetascii(std::string_view in);

}  // namespace stepup
