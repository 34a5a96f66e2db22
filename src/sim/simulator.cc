#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange

// Asio's coroutine frames use a recycling operator new/delete pair that GCC 12 at -O1 misreads.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "sim/simulator.h"

#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <iostream>
#include <random>
#include <unordered_map>

#include "core/identify.h"
#include "core/text.h"

namespace stepup::sim {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using asio::ip::tcp;
using asio::ip::udp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

constexpr size_t kTftpBlock = 1428;  // what the simulated phones ask for (RFC 2348)
constexpr int kTftpTries = 8;

struct Url {
  std::string scheme, host, target;
  uint16_t port = 0;
};

Result<Url> ParseUrl(const std::string& s) {
  Url u;
  size_t p = s.find("://");
  if (p == std::string::npos) return BadInput("\"" + s + "\" is not a URL");
  u.scheme = ToLower(s.substr(0, p));
  std::string rest = s.substr(p + 3);
  size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  size_t colon = hostport.rfind(':');
  if (colon != std::string::npos && hostport.find(']') == std::string::npos) {
    u.host = hostport.substr(0, colon);
    int port = std::atoi(hostport.substr(colon + 1).c_str());
    if (port <= 0 || port > 65535) return BadInput("\"" + s + "\" has a bad port");
    u.port = static_cast<uint16_t>(port);
  } else {
    u.host = hostport;
    u.port = u.scheme == "tftp" ? 69 : 80;
  }
  if (u.host.size() > 2 && u.host.front() == '[') u.host = u.host.substr(1, u.host.size() - 2);
  if (u.host == "localhost") u.host = "127.0.0.1";
  if (u.scheme != "http" && u.scheme != "tftp")
    return BadInput("\"" + s + "\": the simulator speaks http:// and tftp:// only");
  error_code ec;
  asio::ip::make_address(u.host, ec);
  if (ec) return BadInput("\"" + s + "\": the host must be an IP address or localhost");
  return u;
}

// A phone's own loopback address: 127.1.0.1, 127.1.0.2, ... (250 per /24).
asio::ip::address PhoneAddress(size_t i) {
  size_t n = i;
  asio::ip::address_v4::bytes_type b{127, static_cast<uint8_t>(1 + n / (250 * 250)),
                                     static_cast<uint8_t>((n / 250) % 250),
                                     static_cast<uint8_t>(n % 250 + 1)};
  return asio::ip::address_v4(b);
}

struct Fetch {
  int status = 0;  // HTTP status; 200 for a complete TFTP transfer
  std::string body;
  std::string error;  // transport failure or TFTP error message
  int tftp_error = -1;
  bool ok() const { return error.empty() && status == 200; }
};

struct Run {
  const SimOptions& opt;
  std::mt19937_64 rng;
  std::optional<udp::endpoint> tftp;
  int64_t requests = 0;
  uint64_t bytes = 0;
  std::unordered_map<const PhoneState*, std::shared_ptr<udp::socket>> previous_socket;
  Clock::time_point t0 = Clock::now();
  std::string trace;  // the traced phone's MAC, normalised
  bool Lost() {
    return opt.loss > 0 && std::uniform_real_distribution<double>(0, 1)(rng) < opt.loss;
  }
  void Trace(const PhoneState& p, const std::string& what) const {
    if (trace.empty() || p.spec.mac != trace) return;
    std::cerr << "trace " << p.spec.mac << " +"
              << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count()
              << " ms: " << what << "\n";
  }
};

awaitable<void> Delay(const SimOptions& o) {
  if (o.delay_ms <= 0) co_return;
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(std::chrono::milliseconds(o.delay_ms));
  error_code ec;
  co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

// Coroutine parameters are taken by value: a reference would outlive its referent in the frame.
// Every local is declared before the first suspension and the body has one exit: GCC 12
// destroys locals declared after an early co_return that were never constructed.
awaitable<Fetch> HttpOnce(Run& run, PhoneState& p, asio::ip::address self, std::string url_text) {
  Fetch f;
  auto url = ParseUrl(url_text);
  auto ex = co_await asio::this_coro::executor;
  beast::tcp_stream stream(ex);
  http::request<http::empty_body> req;
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  error_code ec;
  if (!url || url->scheme != "http") {
    f.error = url ? "not an http:// URL: " + url_text : url.error().message;
    co_return f;
  }
  co_await Delay(run.opt);
  ++p.requests;
  ++run.requests;
  asio::ip::address addr = asio::ip::make_address(url->host);
  tcp::endpoint server(addr, url->port);
  stream.socket().open(addr.is_v4() ? tcp::v4() : tcp::v6(), ec);
  if (!ec && addr.is_v4()) stream.socket().bind(tcp::endpoint(self, 0), ec);
  if (ec) f.error = "socket: " + ec.message();
  if (f.error.empty()) {
    stream.expires_after(std::chrono::milliseconds(run.opt.timeout_ms));
    co_await stream.async_connect(server, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) f.error = "connect " + url->host + ":" + std::to_string(url->port) + ": " + ec.message();
  }
  if (f.error.empty()) {
    req.method(http::verb::get);
    req.target(url->target);
    req.version(11);
    req.set(http::field::host, url->host + ":" + std::to_string(url->port));
    if (std::string ua = UserAgent(p); !ua.empty()) req.set(http::field::user_agent, ua);
    req.set(http::field::connection, "close");
    co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
    parser.body_limit(256 * 1024 * 1024);
    if (!ec) co_await http::async_read(stream, buf, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) f.error = "GET " + url->target + ": " + ec.message();
  }
  run.Trace(p, "GET " + url_text + ": " + (f.error.empty() ? "HTTP " + std::to_string(parser.get().result_int()) : f.error));
  if (f.error.empty()) {
    f.status = parser.get().result_int();
    f.body = std::move(parser.get().body());
    p.bytes += f.body.size();
    run.bytes += f.body.size();
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  }
  co_return f;
}

void PutU16(std::string& s, uint16_t v) {
  s.push_back(static_cast<char>(v >> 8));
  s.push_back(static_cast<char>(v & 0xff));
}

// RFC 1350 read with blksize (RFC 2348): the phone's side of a TFTP download.
awaitable<Fetch> TftpOnce(Run& run, PhoneState& p, asio::ip::address self, std::string file) {
  Fetch f;
  if (!run.tftp) {
    f.error = "no TFTP server given (--tftp)";
    co_return f;
  }
  ++p.requests;
  ++run.requests;
  auto ex = co_await asio::this_coro::executor;
  auto sock = std::make_shared<udp::socket>(ex);
  error_code ec;
  sock->open(run.tftp->protocol(), ec);
  if (!ec && run.tftp->address().is_v4()) sock->bind(udp::endpoint(self, 0), ec);
  if (ec) {
    f.error = "socket: " + ec.message();
    co_return f;
  }
  // The previous transfer's socket stays open until this one has its port, so the kernel
  // cannot give this transfer that port again: a late answer to the previous request (a
  // duplicate the server sent for a re-sent RRQ) must not pass for this one's.
  run.previous_socket[&p] = sock;
  std::string rrq;
  PutU16(rrq, 1);
  for (const std::string& part : {file, std::string("octet"), std::string("blksize"),
                                  std::to_string(kTftpBlock)}) {
    rrq += part;
    rrq.push_back('\0');
  }
  const udp::endpoint server = *run.tftp;
  udp::endpoint peer = server, from;
  bool have_peer = false;
  size_t blksize = 512;
  uint16_t expect = 1;
  std::string last = rrq;
  std::vector<char> buf(4 + kTftpBlock + 64);
  asio::steady_timer timer(ex);
  auto generation = std::make_shared<uint64_t>(0);
  int tries = 0;
  auto send = [&](std::string pkt) -> awaitable<void> {
    last = pkt;
    co_await Delay(run.opt);
    if (run.Lost()) co_return;
    error_code e;
    co_await sock->async_send_to(asio::buffer(pkt), have_peer ? peer : server,
                                 asio::redirect_error(asio::use_awaitable, e));
  };
  auto ack = [](uint16_t block) {
    std::string a;
    PutU16(a, 4);
    PutU16(a, block);
    return a;
  };
  run.Trace(p, "TFTP RRQ " + file + " from port " + std::to_string(sock->local_endpoint(ec).port()));
  co_await send(rrq);
  for (;;) {
    uint64_t gen = ++*generation;
    // Retransmissions back off (x2 per try, at most 2 s), as phones' TFTP clients do.
    timer.expires_after(std::chrono::milliseconds(std::min(2000, run.opt.tftp_timeout_ms << std::min(tries, 4))));
    timer.async_wait([w = std::weak_ptr<udp::socket>(sock), generation, gen](error_code e) {
      auto s = w.lock();
      if (!e && s && *generation == gen) s->cancel();
    });
    size_t n = co_await sock->async_receive_from(asio::buffer(buf), from,
                                                 asio::redirect_error(asio::use_awaitable, ec));
    ++*generation;
    timer.cancel();
    if (ec == asio::error::operation_aborted) {
      run.Trace(p, "TFTP " + file + ": no answer, try " + std::to_string(tries + 1) +
                       (have_peer ? " (block " + std::to_string(expect) + ")" : " (RRQ)"));
      if (++tries >= kTftpTries) {
        f.error = "TFTP " + file + ": timed out after " + std::to_string(tries) + " tries";
        co_return f;
      }
      co_await send(last);
      continue;
    }
    if (ec) {
      f.error = "TFTP " + file + ": " + ec.message();
      co_return f;
    }
    if (run.Lost()) continue;  // lost on the way in
    if (from.address() != server.address() || n < 4) continue;
    if (!have_peer) {
      peer = from;
      have_peer = true;
      run.Trace(p, "TFTP " + file + ": answered from port " + std::to_string(from.port()));
    } else if (from != peer) {
      run.Trace(p, "TFTP " + file + ": ignored a packet from port " + std::to_string(from.port()));
      continue;  // not our transfer (RFC 1350: answer with error 5; a phone just ignores it)
    }
    tries = 0;
    uint16_t op = static_cast<uint16_t>((static_cast<uint8_t>(buf[0]) << 8) | static_cast<uint8_t>(buf[1]));
    uint16_t block = static_cast<uint16_t>((static_cast<uint8_t>(buf[2]) << 8) | static_cast<uint8_t>(buf[3]));
    if (op == 5) {
      f.tftp_error = block;
      f.error = "TFTP error " + std::to_string(block) + ": " + std::string(buf.data() + 4, strnlen(buf.data() + 4, n - 4));
      run.Trace(p, file + ": " + f.error);
      co_return f;
    }
    if (op == 6 && expect == 1 && f.body.empty()) {  // OACK: the options it took
      std::string_view opts(buf.data() + 2, n - 2);
      while (!opts.empty()) {
        size_t z1 = opts.find('\0');
        if (z1 == std::string_view::npos) break;
        size_t z2 = opts.find('\0', z1 + 1);
        if (z2 == std::string_view::npos) break;
        if (ToLower(std::string(opts.substr(0, z1))) == "blksize")
          blksize = std::clamp<size_t>(std::atoi(std::string(opts.substr(z1 + 1, z2 - z1 - 1)).c_str()), 8, kTftpBlock);
        opts.remove_prefix(z2 + 1);
      }
      co_await send(ack(0));
      continue;
    }
    if (op != 3) continue;
    if (block == expect) {
      size_t len = n - 4;
      f.body.append(buf.data() + 4, len);
      co_await send(ack(block));
      ++expect;
      if (len < blksize) break;
    } else if (block == static_cast<uint16_t>(expect - 1)) {
      co_await send(ack(block));  // our ACK was lost: say it again (never more than once a DATA)
    }
  }
  f.status = 200;
  p.bytes += f.body.size();
  run.bytes += f.body.size();
  run.Trace(p, "TFTP " + file + ": " + std::to_string(f.body.size()) + " bytes");
  co_return f;
}

// A busy server (TFTP "server busy", HTTP 503, a refused or timed-out connection) is asked
// again after a growing, jittered pause, as phones retry during a boot storm; what the server
// decided (403, 404, file not found) is final.
bool Transient(const Fetch& f) {
  if (f.status == 503) return true;
  if (f.error.empty()) return false;
  if (f.tftp_error < 0) return true;  // timeouts and socket errors
  return f.tftp_error == 0 && (f.error.find("busy") != std::string::npos ||
                               f.error.find("too many") != std::string::npos);
}

constexpr int kFetchAttempts = 40;  // phones retry a busy server for as long as it takes

awaitable<void> Backoff(Run& run, int attempt) {
  int base = std::min(4000, 200 << std::min(attempt, 5));
  int ms = base / 2 + static_cast<int>(std::uniform_int_distribution<int>(0, base / 2)(run.rng));
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(std::chrono::milliseconds(ms));
  error_code ec;
  co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

awaitable<Fetch> HttpGet(Run& run, PhoneState& p, asio::ip::address self, std::string url) {
  Fetch f;
  for (int attempt = 0; attempt < kFetchAttempts; ++attempt) {
    if (attempt > 0) co_await Backoff(run, attempt);
    f = co_await HttpOnce(run, p, self, url);
    if (!Transient(f)) break;
  }
  co_return f;
}

awaitable<Fetch> TftpGet(Run& run, PhoneState& p, asio::ip::address self, std::string file) {
  Fetch f;
  for (int attempt = 0; attempt < kFetchAttempts; ++attempt) {
    if (attempt > 0) co_await Backoff(run, attempt);
    f = co_await TftpOnce(run, p, self, file);
    if (!Transient(f)) break;
    run.Trace(p, "TFTP " + file + " again after: " + f.error);
  }
  co_return f;
}

enum class BootResult { kSettled, kChanged, kRetry, kFailed };

// Downloads an image (or a .loads manifest and the images it lists) and installs it when the
// phone accepts it. `fetch` gets one file by name or URL.
template <typename FetchFn>
awaitable<BootResult> TakeImage(PhoneState& p, std::string first, FetchFn fetch,
                                std::string image_base) {
  Fetch f = co_await fetch(first);
  if (!f.ok()) {
    ++p.refusals;
    p.last_refusal = "download of " + first + " failed: " +
                     (f.error.empty() ? "HTTP " + std::to_string(f.status) : f.error);
    co_return BootResult::kRetry;
  }
  auto img = ParseFakeImage(f.body);
  if (!img) {
    ++p.refusals;
    p.last_refusal = first + ": " + img.error().message;
    co_return BootResult::kRetry;
  }
  if (std::string why = InstallRefusal(p, *img); !why.empty()) {
    ++p.refusals;  // a signed .loads is checked before any image is fetched (AUTH FAIL)
    p.last_refusal = why;
    co_return BootResult::kRetry;
  }
  for (const std::string& name : img->images) {
    std::string part_name = image_base + name;
    Fetch part = co_await fetch(part_name);
    auto pi = part.ok() ? ParseFakeImage(part.body) : Result<FakeImage>(BadInput(part.error));
    std::string why = !part.ok() ? "download of " + name + " failed: " +
                                       (part.error.empty() ? "HTTP " + std::to_string(part.status) : part.error)
                      : !pi      ? name + ": " + pi.error().message
                      // SIP and SCCP loads of a release share some images (apps, cnu, dsp)
                      : pi->family != img->family || pi->version != img->version
                          ? name + " belongs to " + pi->load + ", not " + img->load
                          : InstallRefusal(p, *pi);
    if (!why.empty()) {
      ++p.refusals;
      p.last_refusal = why;
      co_return BootResult::kRetry;
    }
  }
  if (Runs(p, img->load)) co_return BootResult::kSettled;
  Install(p, *img);
  co_return BootResult::kChanged;
}

std::string FetchFailure(const Fetch& f, const std::string& what) {
  if (f.status == 403 || f.tftp_error == 2) return what + " refused by the server (unknown device?)";
  return what + ": " + (f.error.empty() ? "HTTP " + std::to_string(f.status) : f.error);
}

awaitable<BootResult> BootFlat(Run& run, PhoneState& p, asio::ip::address self) {
  auto http = [&run, &p, self](std::string url) { return HttpGet(run, p, self, std::move(url)); };
  if (p.profile_url.empty()) {
    // Factory fresh: the model-only file, over TFTP when there is a TFTP server (DHCP 66),
    // else over HTTP from the server's base URL.
    if (p.kind.factory_file.empty() || !run.tftp) {
      p.profile_url = run.opt.http_url + "/" +
                      (p.kind.factory_file.empty() ? "$MA.cfg" : p.kind.factory_file);
    } else {
      Fetch boot = co_await TftpGet(run, p, self, p.kind.factory_file);
      if (!boot.ok()) {
        p.failure = FetchFailure(boot, "TFTP " + p.kind.factory_file);
        co_return BootResult::kFailed;
      }
      auto prof = ParseFlatProfile(boot.body);
      if (!prof || prof->profile_rule.empty()) {
        p.failure = "bootstrap profile: " + (prof ? "no Profile_Rule" : prof.error().message);
        co_return BootResult::kFailed;
      }
      p.profile_url = prof->profile_rule;
    }
  }
  std::string profile_url = ExpandMacros(p.profile_url, p);
  Fetch f = co_await http(profile_url);
  if (!f.ok()) {
    p.failure = FetchFailure(f, "profile");
    co_return BootResult::kFailed;
  }
  auto prof = ParseFlatProfile(f.body);
  if (!prof) {
    p.failure = "profile: " + prof.error().message;
    co_return BootResult::kFailed;
  }
  if (!prof->profile_rule.empty()) p.profile_url = prof->profile_rule;
  p.gpp_p = prof->gpp_p;
  if (ToLower(prof->upgrade_enable) != "yes" || prof->upgrade_rule.empty())
    co_return BootResult::kSettled;
  auto url = EvaluateUpgradeRule(prof->upgrade_rule, p.running_v);
  if (!url) {
    ++p.refusals;
    p.last_refusal = url.error().message;
    co_return BootResult::kRetry;
  }
  if (url->empty()) co_return BootResult::kSettled;
  std::string image_url = ExpandMacros(*url, p);
  std::string base = image_url.substr(0, image_url.rfind('/') + 1);
  BootResult r = co_await TakeImage(p, image_url, http, base);
  co_return r;
}

awaitable<BootResult> BootEnterprise(Run& run, PhoneState& p, asio::ip::address self) {
  auto tftp = [&run, &p, self](std::string name) { return TftpGet(run, p, self, std::move(name)); };
  std::string mac = p.spec.mac;
  for (char& c : mac) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  // 79xx-enterprise.md section 6: trust lists first (a bench answers "not found"), then the
  // phone's own configuration, XMLDefault.cnf.xml when that is missing.
  std::string ctl = "CTLSEP" + mac + ".tlv", itl = "ITLSEP" + mac + ".tlv",
              sep = "SEP" + mac + ".cnf.xml";
  (void)co_await tftp(ctl);
  (void)co_await tftp(itl);
  Fetch cfg = co_await tftp(sep);
  if (!cfg.ok()) {
    p.failure = FetchFailure(cfg, "SEP" + mac + ".cnf.xml");
    co_return BootResult::kFailed;
  }
  auto load = ParseLoadInformation(cfg.body, p.device_type);
  if (!load) {
    p.failure = "SEP" + mac + ".cnf.xml: " + load.error().message;
    co_return BootResult::kFailed;
  }
  if (load->empty() || Runs(p, *load)) co_return BootResult::kSettled;
  std::string manifest = *load + ".loads";
  BootResult r = co_await TakeImage(p, manifest, tftp, "");
  co_return r;
}

awaitable<void> RunPhone(Run& run, PhoneState& p, asio::ip::address self) {
  auto t0 = Clock::now();
  for (int boot = 0; boot < run.opt.max_boots; ++boot) {
    BootResult r;  // (no co_await inside ?: : GCC 12 miscompiles it)
    if (p.kind.boot == BootStyle::kEnterprise) {
      r = co_await BootEnterprise(run, p, self);
    } else {
      r = co_await BootFlat(run, p, self);
    }
    if (r == BootResult::kSettled || r == BootResult::kFailed) break;
    if (boot + 1 == run.opt.max_boots)
      p.failure = "still changing after " + std::to_string(run.opt.max_boots) + " boots";
  }
  p.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
}

PhoneResult Judge(PhoneState p) {
  PhoneResult r;
  if (!p.failure.empty()) {
    r.status = "failed";
    r.reason = p.failure;
  } else if (AtTarget(p)) {
    r.status = "current";
  } else if (p.refusals > 0) {
    r.status = "stuck";
    r.reason = p.last_refusal;
  } else {
    r.status = "no-path";
    r.reason = "the server offers no upgrade from " + p.running + " (target " +
               p.target_v.input + ")";
  }
  r.phone = std::move(p);
  return r;
}

}  // namespace

Result<SimReport> Simulate(const Catalog& catalog, const std::vector<PhoneSpec>& fleet,
                           const SimOptions& opt) {
  if (auto u = ParseUrl(opt.http_url); !u || u->scheme != "http")
    return BadInput("--http: " + (u ? "\"" + opt.http_url + "\" is not http://" : u.error().message));
  if (opt.concurrency < 1) return BadInput("--concurrency must be at least 1");
  if (opt.loss < 0 || opt.loss > 0.5) return BadInput("--loss must be between 0 and 0.5");
  SimOptions o = opt;
  while (!o.http_url.empty() && o.http_url.back() == '/') o.http_url.pop_back();
  Run run{o, std::mt19937_64(opt.seed), std::nullopt};
  if (!opt.trace_mac.empty()) run.trace = NormalizeMac(opt.trace_mac);
  if (!opt.tftp.empty()) {
    auto u = ParseUrl("tftp://" + opt.tftp);
    if (!u) return BadInput("--tftp: " + u.error().message);
    run.tftp = udp::endpoint(asio::ip::make_address(u->host), u->port);
  }
  std::vector<PhoneState> phones;
  phones.reserve(fleet.size());
  for (const auto& spec : fleet) {
    auto p = StartPhone(catalog, spec);
    if (!p) return BadInput(spec.where + ": " + p.error().message);
    phones.push_back(std::move(p).value());
  }
  asio::io_context ioc(1);
  size_t next = 0, done = 0;
  auto t0 = Clock::now();
  auto worker = [&]() -> awaitable<void> {
    while (next < phones.size()) {
      size_t i = next++;
      co_await RunPhone(run, phones[i], PhoneAddress(i));
      ++done;
    }
  };
  size_t workers = std::min<size_t>(phones.size(), static_cast<size_t>(opt.concurrency));
  for (size_t w = 0; w < workers; ++w) asio::co_spawn(ioc, worker(), asio::detached);
  asio::steady_timer ticker(ioc);
  std::function<void(error_code)> tick = [&](error_code ec) {
    if (ec || done == phones.size()) return;
    std::cerr << "\rsimulate: " << done << "/" << phones.size() << " phones settled, "
              << run.requests << " requests" << std::flush;
    ticker.expires_after(std::chrono::milliseconds(500));
    ticker.async_wait(tick);
  };
  if (opt.progress) tick({});
  ioc.run();
  run.previous_socket.clear();  // sockets go before their io_context
  if (opt.progress) std::cerr << "\r\033[K";
  SimReport rep;
  rep.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  rep.requests = run.requests;
  rep.bytes = run.bytes;
  for (auto& p : phones) rep.phones.push_back(Judge(std::move(p)));
  return rep;
}

nlohmann::json ReportJson(const SimReport& rep) {
  nlohmann::json devices = nlohmann::json::array();
  nlohmann::json by_status = nlohmann::json::object();
  double slowest = 0;
  for (const auto& r : rep.phones) {
    const PhoneState& p = r.phone;
    nlohmann::json hops = nlohmann::json::array();
    for (const auto& h : p.hops) hops.push_back({{"load", h.load}, {"version", h.version}});
    devices.push_back({{"mac", p.spec.mac},
                       {"serial", p.spec.serial},
                       {"model", p.spec.model},
                       {"start", p.start},
                       {"final", p.running},
                       {"target", p.target_v.input},
                       {"status", r.status},
                       {"hops", hops},
                       {"reason", r.reason},
                       {"requests", p.requests},
                       {"bytes", p.bytes},
                       {"seconds", p.seconds}});
    by_status[r.status] = by_status.value(r.status, 0) + 1;
    slowest = std::max(slowest, p.seconds);
  }
  return {{"devices", devices},
          {"totals",
           {{"phones", rep.phones.size()},
            {"seconds", rep.seconds},
            {"requests", rep.requests},
            {"requests_per_second", rep.seconds > 0 ? rep.requests / rep.seconds : 0},
            {"bytes", rep.bytes},
            {"slowest_phone_seconds", slowest},
            {"by_status", by_status}}}};
}

}  // namespace stepup::sim
