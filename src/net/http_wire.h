// What the HTTP transport reads and writes besides Beast's parsing: the request head it keeps
// (request line and the few fields it uses), HTTP dates, byte ranges, and the access log's
// value formatting. Pure functions over strings, no sockets.
#pragma once

#include <boost/beast/http/basic_parser.hpp>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace stepup {

namespace beast = boost::beast;
namespace http = beast::http;

// RFC 9110 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), and back from it or from the two
// obsolete forms (RFC 850, asctime); nullopt if malformed.
std::string HttpDate(time_t t);
std::optional<time_t> ParseHttpDate(const std::string& s);
// The Date header's value now, formatted once a second per thread.
std::string_view CachedHttpDate();

// Access log formatting: the time (UTC, milliseconds), a value with anything but printable
// ASCII (and spaces, quotes, backslashes) %-escaped and cut at `max`, "-" for empty.
void AppendLogTime(std::string& out);
void AppendLogValue(std::string& out, std::string_view s, size_t max = 200);
void AppendNumber(std::string& out, uint64_t n);

// One "Range: bytes=a-b" ("a-", "-n" too) against a file size: nullopt when the header is to
// be ignored (none, another unit, several ranges: the answer is the whole file); `valid` false
// for what cannot be satisfied or is malformed (416).
struct ByteRange {
  uint64_t first = 0, last = 0;
  bool valid = true;
};
std::optional<ByteRange> ParseRange(std::string_view h, uint64_t size);

// The request line and the few header fields the server uses; Beast parses (and limits) the
// whole header and the rest is dropped. The strings keep their capacity from request to
// request, so a keep-alive connection allocates nothing to read a request.
struct RequestHead {
  http::verb verb = http::verb::unknown;
  unsigned version = 11;
  std::string method, target, user_agent, range, if_modified_since, authorization, content_type;
  // What a load balancer says of the client (believed from --trusted-proxy peers only).
  std::string real_ip, forwarded_for, real_port;
  std::string body;  // what came (within body_limit): the admin API's JSON; phones send none
  void Clear() {
    verb = http::verb::unknown;
    version = 11;
    for (std::string* s : {&method, &target, &user_agent, &range, &if_modified_since,
                           &authorization, &content_type, &real_ip, &forwarded_for, &real_port,
                           &body})
      s->clear();
  }
};

// A Beast request parser that fills a RequestHead, the body included (its size limited by
// body_limit()).
class RequestParser final : public http::basic_parser<true> {
 public:
  explicit RequestParser(RequestHead& head);

 private:
  void on_request_impl(http::verb verb, beast::string_view method, beast::string_view target,
                       int version, beast::error_code& ec) override;
  void on_response_impl(int, beast::string_view, int, beast::error_code& ec) override;
  void on_field_impl(http::field name, beast::string_view, beast::string_view value,
                     beast::error_code& ec) override;
  void on_header_impl(beast::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, beast::error_code&) override {}
  size_t on_body_impl(beast::string_view body, beast::error_code&) override {
    head_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}
  size_t on_chunk_body_impl(std::uint64_t, beast::string_view body, beast::error_code&) override {
    head_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_finish_impl(beast::error_code&) override {}

  RequestHead& head_;
};

}  // namespace stepup
