// The TFTP transport (RFC 1350, options RFC 2347/2348/2349/7440) on Asio UDP: the listener
// turns each read request into a Request for the provisioner and runs the transfer from a
// socket of its own on an ephemeral port. Retransmission with a per-transfer timer and a
// bounded number of retries; duplicate ACKs are ignored (no Sorcerer's Apprentice); block
// numbers roll over past 65535; write requests are refused unless an upload directory is set
// (net/tftp_upload.h).
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "app/file_source.h"
#include "app/metrics.h"
#include "app/provisioner.h"
#include "core/result.h"
#include "net/http_server.h"
#include "net/source_limits.h"
#include "net/tftp_upload.h"

namespace stepup {

struct TftpServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 6969;
  uint32_t max_transfers = 20000;     // concurrent transfers, all sources (one socket each)
  SourceLimits limits;                // per address (by network): transfers, requests a second
  uint32_t max_hold_ms = 5000;        // a request over its address's limits waits this long
  uint32_t retries = 6;               // resends of one window before giving up
  uint32_t default_timeout_ms = 150;  // when the client asks for no timeout option (LAN)
  uint32_t deadline_s = 600;          // a whole transfer
  uint32_t max_blksize = 65464;
  TftpUploadOptions upload;  // WRQ: refused unless upload.dir is set
  Metrics* metrics = nullptr;  // counts every answer and transfer (app/metrics.h), if set
  // Files' bytes held in memory (one copy however many transfers send it); unset: every
  // transfer reads its file from disk.
  std::shared_ptr<FileBytes> images;
};

class TftpServer {
 public:
  TftpServer(boost::asio::io_context& ioc, Provisioner& provisioner, TftpServerOptions options,
             AccessLog log);
  ~TftpServer();
  Status Start();
  uint16_t port() const;
  void Stop();
  size_t active() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace stepup
