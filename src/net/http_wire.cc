#include "net/http_wire.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>

#include <boost/beast/core/string.hpp>

#include "core/text.h"

namespace stepup {

std::string HttpDate(time_t t) {
  char buf[64];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::optional<time_t> ParseHttpDate(const std::string& s) {
  // IMF-fixdate, then the two obsolete forms a recipient must still accept (RFC 9110 5.6.7):
  // RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime ("Sun Nov  6 08:49:37 1994").
  for (const char* format :
       {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %d %H:%M:%S %Y"}) {
    std::tm tm{};
    const char* end = strptime(s.c_str(), format, &tm);
    if (end && *end == '\0') return timegm(&tm);
  }
  return std::nullopt;
}

// Appends the access log's time (UTC, milliseconds); the part up to the second is formatted
// once a second per thread.
void AppendLogTime(std::string& out) {
  thread_local time_t cached_t = -1;
  thread_local char cached[32];
  auto now = std::chrono::system_clock::now();
  time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  if (t != cached_t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &tm);
    cached_t = t;
  }
  char buf[8];
  std::snprintf(buf, sizeof buf, ".%03dZ", static_cast<int>(ms));
  out += cached;
  out += buf;
}

// The Date header's value, formatted once a second per thread.
std::string_view CachedHttpDate() {
  thread_local time_t cached_t = -1;
  thread_local std::string cached;
  time_t t = std::time(nullptr);
  if (t != cached_t) {
    cached = HttpDate(t);
    cached_t = t;
  }
  return cached;
}

// Appends a value for the access log: printable ASCII only, no spaces or quotes unescaped.
void AppendLogValue(std::string& out, std::string_view s, size_t max) {
  if (s.empty()) {
    out += '-';
    return;
  }
  for (char c : s.substr(0, max)) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '\\') {
      char buf[5];
      std::snprintf(buf, sizeof buf, "%%%02X", u);
      out += buf;
    } else {
      out.push_back(c);
    }
  }
}

void AppendNumber(std::string& out, uint64_t n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

namespace {

// A run of digits; one past uint64 saturates (a last-byte-pos that large means "to the end").
bool RangeNumber(std::string_view s, uint64_t* out) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string_view::npos) return false;
  if (!ParseDecimal(s, 19, out)) *out = UINT64_MAX;
  return true;
}

}  // namespace

std::optional<ByteRange> ParseRange(std::string_view h, uint64_t size) {
  // A unit other than bytes (names are case-insensitive) must be ignored, and so is a list of
  // ranges: the whole file is as good an answer, where 416 would claim none can be served.
  if (h.size() < 6 || ToLower(h.substr(0, 6)) != "bytes=" || h.find(',') != std::string_view::npos)
    return std::nullopt;
  ByteRange bad{0, 0, false};
  std::string_view spec = h.substr(6);
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return bad;
  auto num = RangeNumber;
  uint64_t a = 0, b = 0;
  if (dash == 0) {  // bytes=-N: the last N bytes
    if (!num(spec.substr(1), &b) || b == 0 || size == 0) return bad;
    return ByteRange{size - std::min(b, size), size - 1, true};
  }
  if (!num(spec.substr(0, dash), &a) || a >= size) return bad;
  if (dash + 1 == spec.size()) return ByteRange{a, size - 1, true};
  if (!num(spec.substr(dash + 1), &b) || b < a) return bad;
  return ByteRange{a, std::min(b, size - 1), true};
}

RequestParser::RequestParser(RequestHead& head) : head_(head) {}

void RequestParser::on_request_impl(http::verb verb, beast::string_view method,
                                    beast::string_view target, int version, beast::error_code&) {
  head_.verb = verb;
  head_.method.assign(method.data(), method.size());
  head_.target.assign(target.data(), target.size());
  head_.version = static_cast<unsigned>(version);
}

void RequestParser::on_response_impl(int, beast::string_view, int, beast::error_code& ec) {
  ec = http::error::bad_method;  // never called for a request parser
}

void RequestParser::on_field_impl(http::field name, beast::string_view name_string,
                                  beast::string_view value, beast::error_code&) {
  std::string* into = name == http::field::user_agent          ? &head_.user_agent
                      : name == http::field::range             ? &head_.range
                      : name == http::field::if_modified_since ? &head_.if_modified_since
                      : name == http::field::authorization     ? &head_.authorization
                      : name == http::field::content_type      ? &head_.content_type
                      : beast::iequals(name_string, "x-real-ip")       ? &head_.real_ip
                      : beast::iequals(name_string, "x-real-port")     ? &head_.real_port
                      : beast::iequals(name_string, "x-forwarded-for") ? &head_.forwarded_for
                                                                       : nullptr;
  if (!into) return;
  if (into == &head_.forwarded_for && !into->empty()) {
    into->append(",").append(value.data(), value.size());  // several lines are one list, in order
  } else {
    into->assign(value.data(), value.size());
  }
}

}  // namespace stepup
