// Small text helpers shared across the domain.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace stepup {

// A time (seconds since the epoch) in UTC, as strftime's `format` makes it (at most 63 bytes).
inline std::string UtcTime(int64_t epoch, const char* format) {
  std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

// A time (seconds since the epoch) as its UTC day, "2020-05-30".
inline std::string IsoDate(int64_t epoch) { return UtcTime(epoch, "%Y-%m-%d"); }

// ASCII lower case (names, MACs, load names compare case-insensitively).
// The items joined with `sep` ("a, b, c").
inline std::string Join(const std::vector<std::string>& v, std::string_view sep = ", ") {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += sep;
    out += v[i];
  }
  return out;
}

// The value of `key` in a query string ("a=1&enc=aes"), as it is (not %-decoded); "" when absent.
inline std::string QueryParam(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view kv = query.substr(0, amp);
    const size_t eq = kv.find('=');
    if (eq != std::string_view::npos && kv.substr(0, eq) == key)
      return std::string(kv.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

inline std::string ToLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// ASCII upper case ("SEP" + the MAC as phones write it).
inline std::string ToUpper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

// A decimal number of 1 to max_digits ASCII digits, nothing else (no sign, no spaces);
// false leaves *out untouched.
inline bool ParseDecimal(std::string_view s, size_t max_digits, uint64_t* out) {
  if (s.empty() || s.size() > max_digits) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

}  // namespace stepup
