// TFTP uploads (WRQ), off unless the operator names an upload directory (`serve
// --tftp-upload-dir DIR`): phones' problem reports and logs. An upload is received from a
// socket of its own (the same options as downloads: blksize, timeout, tsize, windowsize) into a
// hidden temporary file and appears under its name only once complete; it never replaces a
// file (error 6), never exceeds the size limit (error 3, the partial file removed), and its
// name is a plain file name (error 2 otherwise).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <functional>
#include <string>

#include "core/result.h"
#include "core/tftp_packet.h"

namespace stepup {

struct TftpUploadOptions {
  std::string dir;                   // "" : uploads are refused
  uint64_t max_bytes = 64ull << 20;  // per upload
  uint32_t max_blksize = 65464;
  uint32_t default_timeout_ms = 150;  // when the client asks for no timeout option
  uint32_t retries = 6;
  uint32_t deadline_s = 600;
};

// Where an upload named `name` goes; the error names what is wrong with the name. A plain
// file name: letters, digits, '.', '-', '_', not starting with '.', at most 128 characters.
Result<std::string> TftpUploadPath(const TftpUploadOptions& opt, const std::string& name);

// Receives the upload the WRQ `wrq` from `peer` asked for into `path`, on a socket bound to
// `local` and run on `executor`. `finished(ok, bytes, why)` is called once, at the end.
void StartTftpUpload(const boost::asio::any_io_executor& executor,
                     const boost::asio::ip::udp::endpoint& local,
                     const boost::asio::ip::udp::endpoint& peer, const TftpPacket& wrq,
                     std::string path, const TftpUploadOptions& opt,
                     std::function<void(bool ok, uint64_t bytes, const std::string& why)> finished);

}  // namespace stepup
