#include "core/tftp_packet.h"

#include <cstring>
#include <initializer_list>

#include "core/text.h"

namespace stepup {
namespace {

uint16_t Get16(std::string_view b, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(b[at]) << 8) |
                               static_cast<uint8_t>(b[at + 1]));
}

void Put16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

// Appends NUL-terminated strings.
void PutStrings(std::string& out, std::initializer_list<std::string_view> parts) {
  for (std::string_view p : parts) {
    out.append(p);
    out.push_back('\0');
  }
}

// Reads a NUL-terminated string starting at *at; false when no NUL follows.
bool TakeString(std::string_view b, size_t* at, std::string* out) {
  size_t nul = b.find('\0', *at);
  if (nul == std::string_view::npos) return false;
  *out = std::string(b.substr(*at, nul - *at));
  *at = nul + 1;
  return true;
}

bool ParseNumber(const std::string& s, uint64_t* out) { return ParseDecimal(s, 10, out); }

}  // namespace

Result<TftpPacket> ParseTftp(std::string_view b) {
  if (b.size() < 4)
    return BadInput("TFTP packet of " + std::to_string(b.size()) + " bytes is too short");
  TftpPacket p;
  const uint16_t op = Get16(b, 0);
  if (op < 1 || op > 6) return BadInput("unknown TFTP opcode " + std::to_string(op));
  p.op = static_cast<TftpOp>(op);
  switch (p.op) {
    case TftpOp::kRrq:
    case TftpOp::kWrq: {
      size_t at = 2;
      if (!TakeString(b, &at, &p.filename))
        return BadInput("TFTP request: the file name has no terminating NUL");
      if (p.filename.empty()) return BadInput("TFTP request: empty file name");
      std::string mode;
      if (!TakeString(b, &at, &mode))
        return BadInput("TFTP request: the mode has no terminating NUL");
      p.mode = ToLower(mode);
      if (p.mode != "octet" && p.mode != "netascii") {
        return BadInput("TFTP request: unsupported mode \"" + mode.substr(0, 32) + "\"");
      }
      while (at < b.size()) {
        std::string name, value;
        if (!TakeString(b, &at, &name) || !TakeString(b, &at, &value)) {
          return BadInput("TFTP request: an option without a NUL-terminated name and value");
        }
        if (p.options.size() >= 32) return BadInput("TFTP request: more than 32 options");
        p.options.emplace_back(ToLower(name), value);
      }
      return p;
    }
    case TftpOp::kData:
      p.block = Get16(b, 2);
      p.data = b.substr(4);
      return p;
    case TftpOp::kAck:
      if (b.size() != 4)
        return BadInput("TFTP ACK of " + std::to_string(b.size()) + " bytes (expected 4)");
      p.block = Get16(b, 2);
      return p;
    case TftpOp::kError: {
      p.error_code = Get16(b, 2);
      size_t at = 4;
      if (!TakeString(b, &at, &p.error_message)) p.error_message = std::string(b.substr(4));
      return p;
    }
    case TftpOp::kOack: {
      size_t at = 2;
      while (at < b.size()) {
        std::string name, value;
        if (!TakeString(b, &at, &name) || !TakeString(b, &at, &value))
          return BadInput("TFTP OACK: malformed option");
        p.options.emplace_back(ToLower(name), value);
      }
      return p;
    }
  }
  return BadInput("unknown TFTP opcode " + std::to_string(op));
}

std::string TftpRequest(TftpOp op, std::string_view filename, std::string_view mode,
                        const TftpOptions& options) {
  std::string out;
  Put16(out, static_cast<uint16_t>(op));
  PutStrings(out, {filename, mode});
  for (const auto& [k, v] : options) PutStrings(out, {k, v});
  return out;
}

std::string TftpData(uint16_t block, std::string_view payload) {
  std::string out;
  char* at = TftpDataInto(out, block, payload.size());
  if (!payload.empty()) std::memcpy(at, payload.data(), payload.size());
  return out;
}

char* TftpDataInto(std::string& out, uint16_t block, size_t len) {
  out.clear();
  Put16(out, static_cast<uint16_t>(TftpOp::kData));
  Put16(out, block);
  out.resize(4 + len);
  return out.data() + 4;
}

std::string TftpAck(uint16_t block) {
  std::string out;
  Put16(out, static_cast<uint16_t>(TftpOp::kAck));
  Put16(out, block);
  return out;
}

std::string TftpErrorPacket(TftpError code, std::string_view message) {
  std::string out;
  Put16(out, static_cast<uint16_t>(TftpOp::kError));
  Put16(out, static_cast<uint16_t>(code));
  PutStrings(out, {message.substr(0, 400)});
  return out;
}

std::string TftpOack(const TftpOptions& options) {
  std::string out;
  Put16(out, static_cast<uint16_t>(TftpOp::kOack));
  for (const auto& [k, v] : options) PutStrings(out, {k, v});
  return out;
}

TftpTransferOptions NegotiateTftp(const TftpPacket& rrq, uint64_t file_size, uint32_t max_blksize) {
  TftpTransferOptions t;
  bool seen_blk = false, seen_to = false, seen_ts = false, seen_win = false;
  for (const auto& [name, value] : rrq.options) {
    uint64_t v = 0;
    if (name == "blksize" && !seen_blk && ParseNumber(value, &v) && v >= 8 && v <= 65464) {
      seen_blk = true;
      t.blksize = static_cast<uint32_t>(std::min<uint64_t>(v, max_blksize));
      t.oack.emplace_back("blksize", std::to_string(t.blksize));
    } else if (name == "timeout" && !seen_to && ParseNumber(value, &v) && v >= 1 && v <= 255) {
      seen_to = true;
      t.timeout_s = static_cast<uint32_t>(v);
      t.oack.emplace_back("timeout", value);
    } else if (name == "tsize" && !seen_ts && ParseNumber(value, &v)) {
      seen_ts = true;
      t.want_tsize = true;
      t.oack.emplace_back("tsize", std::to_string(file_size));
    } else if (name == "windowsize" && !seen_win && ParseNumber(value, &v) && v >= 1 &&
               v <= 65535) {
      seen_win = true;
      t.windowsize = static_cast<uint32_t>(v);
      t.oack.emplace_back("windowsize", value);
    }
  }
  return t;
}

std::string ToNetascii(std::string_view in) {
  std::string out;
  out.reserve(in.size() + in.size() / 16);
  for (char c : in) {
    if (c == '\n') {
      out += "\r\n";
    } else if (c == '\r') {
      out.push_back('\r');
      out.push_back('\0');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace stepup
