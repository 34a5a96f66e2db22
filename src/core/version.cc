#include "core/version.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace stepup {
namespace {

constexpr size_t kMaxInput = 128;
constexpr size_t kMaxDigits = 9;  // keeps every numeric field inside int

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAlnum(char c) { return IsDigit(c) || IsAlpha(c); }
char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// A cursor over the input; every Take* returns false without consuming on mismatch.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool done() const { return pos_ >= s_.size(); }
  char peek(size_t ahead = 0) const { return pos_ + ahead < s_.size() ? s_[pos_ + ahead] : '\0'; }
  std::string_view rest() const { return s_.substr(std::min(pos_, s_.size())); }
  size_t pos() const { return pos_; }

  bool TakeChar(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  bool TakeWord(std::string_view w) {
    if (rest().substr(0, w.size()) != w) return false;
    pos_ += w.size();
    return true;
  }
  // Takes 1..kMaxDigits digits. too_long is set when more digits follow.
  bool TakeNumber(int* out, bool* too_long, size_t* ndigits = nullptr) {
    size_t n = 0;
    while (IsDigit(peek(n))) ++n;
    if (n == 0) return false;
    if (n > kMaxDigits) {
      *too_long = true;
      return false;
    }
    *out = std::stoi(std::string(s_.substr(pos_, n)));
    if (ndigits) *ndigits = n;
    pos_ += n;
    return true;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

Error Bad(std::string_view input, std::string_view why) {
  return BadInput("unparsable version \"" + std::string(input) + "\": " + std::string(why));
}

// Parses the dashed body "M-m-p[SRn|MSRn|ESn|MPP[ssbb]][-n|-MSRn]...[S]" into v.
// allow_signed_suffix: a trailing "S" (79xx load names) is accepted.
std::optional<Error> ParseDashed(std::string_view input, Cursor& c, Version& v,
                                 bool allow_signed_suffix, bool* mpp_marker) {
  bool too_long = false;
  for (int i = 0; i < 3; ++i) {
    int n = 0;
    if (i > 0 && !c.TakeChar('-')) return Bad(input, "expected three dash-separated numbers");
    if (!c.TakeNumber(&n, &too_long)) {
      return Bad(input, too_long ? "number too long" : "expected a number");
    }
    v.release.push_back(n);
  }
  bool first_segment = true;
  while (!c.done()) {
    int n = 0;
    size_t nd = 0;
    if (c.TakeWord("MSR") || c.TakeWord("-MSR")) {
      *mpp_marker = true;
      if (!c.TakeNumber(&n, &too_long)) return Bad(input, "MSR needs a number");
      v.sr = n;
    } else if (c.TakeWord("SR")) {
      if (!c.TakeNumber(&n, &too_long)) return Bad(input, "SR needs a number");
      v.sr = n;
    } else if (c.TakeWord("ES")) {
      if (!c.TakeNumber(&n, &too_long)) return Bad(input, "ES needs a number");
      v.es = n;
    } else if (c.TakeWord("MPP")) {
      *mpp_marker = true;
      if (c.TakeNumber(&n, &too_long, &nd)) {
        if (nd != 4) return Bad(input, "MPP build field must have four digits (MPPssbb)");
        v.sr = n / 100;
        v.build.push_back(n % 100);
      }
    } else if (c.TakeChar('-')) {
      if (!c.TakeNumber(&n, &too_long, &nd)) {
        return Bad(input, too_long ? "number too long" : "expected a build number after '-'");
      }
      // 12-8-1-0001-455: a four-digit field right after the release is ss(SR) bb(build).
      if (first_segment && nd == 4 && c.peek() == '-' && v.sr == 0) {
        v.sr = n / 100;
        v.build.push_back(n % 100);
      } else {
        v.build.push_back(n);
      }
    } else if (allow_signed_suffix && c.rest() == "S") {
      c.TakeChar('S');
    } else {
      return Bad(input, "unexpected \"" + std::string(c.rest()) + "\"");
    }
    first_segment = false;
  }
  if (too_long) return Bad(input, "number too long");
  return std::nullopt;
}

Result<Version> ParseLegacy7940(std::string_view input) {
  Version v;
  v.input = std::string(input);
  v.scheme = "legacy7940";
  v.prefix = std::string(input.substr(0, 4));
  v.model_code = "7940";
  v.protocol = (input[2] == 'S' || input[2] == 's') ? Protocol::kSip : Protocol::kSccp;
  Cursor c(input.substr(4));
  bool too_long = false;
  if (c.TakeChar('-')) {  // P0S3-08-12-00
    bool mpp = false;
    if (auto err = ParseDashed(input, c, v, false, &mpp)) return *err;
    if (mpp) return Bad(input, "MPP markers are not valid in a 7940/7960 load");
    return v;
  }
  // P0030801SR02: major, minor, then SRnn in place of maintenance and build.
  std::string_view rest = c.rest();
  if (rest.size() >= 7 && rest.size() <= 8 && rest.substr(4, 2) == "SR" &&
      std::all_of(rest.begin(), rest.begin() + 4, IsDigit) &&
      std::all_of(rest.begin() + 6, rest.end(), IsDigit)) {
    v.release.push_back((rest[0] - '0') * 10 + (rest[1] - '0'));
    v.release.push_back((rest[2] - '0') * 10 + (rest[3] - '0'));
    v.sr = std::stoi(std::string(rest.substr(6)));
    v.any_maintenance = true;
    return v;
  }
  // P00308010200: two digits each for major, minor, maintenance, build.
  std::string_view digits = rest;
  if (digits.size() != 8 || !std::all_of(digits.begin(), digits.end(), IsDigit)) {
    return Bad(input,
               "a 7940/7960 load is P0S3-MM-m-bb, P003 followed by eight digits, or P003MMmmSRnn");
  }
  (void)too_long;
  for (int i = 0; i < 4; ++i) {
    const size_t at = 2 * static_cast<size_t>(i);
    int n = (digits[at] - '0') * 10 + (digits[at + 1] - '0');
    if (i < 3) {
      v.release.push_back(n);
    } else {
      v.build.push_back(n);
    }
  }
  return v;
}

// "SCCP70" -> (sccp, "70"); "sip88xx" -> (sip, "88xx"); "ATA19x" -> (mpp, "ATA19x").
std::optional<Error> ClassifyPrefix(std::string_view input, Version& v) {
  const std::string& p = v.prefix;
  auto rest_after = [&](size_t n) { return p.substr(n); };
  if ((p.rfind("SCCP", 0) == 0 || p.rfind("TERM", 0) == 0) && p.size() > 4) {
    v.protocol = Protocol::kSccp;
    v.model_code = rest_after(4);
  } else if ((p.rfind("SIP", 0) == 0 || p.rfind("sip", 0) == 0) && p.size() > 3) {
    v.protocol = Protocol::kSip;  // sipNNxx becomes kMpp when the body has an MPP/MSR marker
    v.model_code = rest_after(3);
  } else if (p.rfind("ATA", 0) == 0 && p.size() > 3) {
    v.protocol = Protocol::kMpp;
    v.model_code = p;
  } else {
    return Bad(input, "unknown load prefix \"" + p +
                          "\" (expected SCCPnn, SIPnn, TERMnn, sipNNxx or ATA19x)");
  }
  if (!std::all_of(v.model_code.begin(), v.model_code.end(),
                   [](char ch) { return IsAlnum(ch) || ch == '_'; })) {
    return Bad(input, "bad model code in load prefix \"" + p + "\"");
  }
  return std::nullopt;
}

Result<Version> ParseLoad(std::string_view input, size_t dot) {
  Version v;
  v.input = std::string(input);
  v.scheme = "load";
  v.prefix = std::string(input.substr(0, dot));
  if (auto err = ClassifyPrefix(input, v)) return *err;
  const bool is79 = v.prefix[0] == 'S' || v.prefix[0] == 'T';  // SCCPnn / SIPnn / TERMnn
  Cursor c(input.substr(dot + 1));
  bool mpp = false;
  if (auto err = ParseDashed(input, c, v, is79, &mpp)) return *err;
  if (mpp && v.protocol == Protocol::kSip) v.protocol = Protocol::kMpp;
  if (mpp && is79) return Bad(input, "MPP markers are not valid in a 79xx load name");
  return v;
}

Result<Version> ParseBareDashed(std::string_view input) {
  Version v;
  v.input = std::string(input);
  Cursor c(input);
  bool mpp = false;
  if (auto err = ParseDashed(input, c, v, false, &mpp)) return *err;
  v.scheme = mpp ? "mpp" : "dashed";
  if (mpp) v.protocol = Protocol::kMpp;
  return v;
}

// Parses the inside of "(...)" after a dotted version: SRn, a letter run, or a free tag.
std::optional<Error> ParseDottedTag(std::string_view input, std::string_view tag, Version& v) {
  if (tag.empty()) return Bad(input, "empty parentheses");
  // 14.2.1(0001.14): the CUCM readme form of build 14-2-1-0001-14 (ss bb, then the build).
  size_t dot = tag.find('.');
  if (dot == 4 && tag.size() > 5 && tag.size() - 5 <= kMaxDigits &&
      std::all_of(tag.begin(), tag.begin() + 4, IsDigit) &&
      std::all_of(tag.begin() + 5, tag.end(), IsDigit)) {
    int ssbb = std::stoi(std::string(tag.substr(0, 4)));
    v.sr = ssbb / 100;
    v.build = {ssbb % 100, std::stoi(std::string(tag.substr(5)))};
    return std::nullopt;
  }
  if (!std::all_of(tag.begin(), tag.end(), [](char ch) { return IsAlnum(ch) || ch == '_'; })) {
    return Bad(input, "bad characters inside parentheses");
  }
  if (tag.size() > 2 && tag.substr(0, 2) == "SR" &&
      std::all_of(tag.begin() + 2, tag.end(), IsDigit)) {
    if (tag.size() - 2 > kMaxDigits) return Bad(input, "number too long");
    v.sr = std::stoi(std::string(tag.substr(2)));
  } else if (v.letter.empty() && std::all_of(tag.begin(), tag.end(), IsAlpha)) {
    for (char ch : tag) v.letter.push_back(Lower(ch));
  } else {
    v.tag = std::string(tag);
    // A release candidate ("ES_RC01", "RC2") orders before its release.
    size_t rc = tag.rfind("RC");
    if (rc != std::string_view::npos && (rc == 0 || tag[rc - 1] == '_') && rc + 2 < tag.size() &&
        tag.size() - rc - 2 <= kMaxDigits &&
        std::all_of(tag.begin() + static_cast<long>(rc) + 2, tag.end(), IsDigit)) {
      v.rc = std::stoi(std::string(tag.substr(rc + 2)));
      if (v.rc == 0) v.rc = 1;  // "RC0" is still a candidate
    }
  }
  return std::nullopt;
}

Result<Version> ParseDotted(std::string_view input) {
  Version v;
  v.input = std::string(input);
  v.scheme = "dotted";
  Cursor c(input);
  bool too_long = false;
  int n = 0;
  if (!c.TakeNumber(&n, &too_long))
    return Bad(input, too_long ? "number too long" : "expected a number");
  v.release.push_back(n);
  // Enterprise: N.N(N[SRn][.b])[SRn]
  if (!c.TakeChar('.')) return Bad(input, "expected '.' after the major number");
  if (!c.TakeNumber(&n, &too_long))
    return Bad(input, too_long ? "number too long" : "expected a minor number");
  v.release.push_back(n);
  if (c.TakeChar('(')) {
    v.scheme = "enterprise";
    if (!c.TakeNumber(&n, &too_long))
      return Bad(input, too_long ? "number too long" : "expected a number after '('");
    v.release.push_back(n);
    if (c.TakeWord("SR")) {
      if (!c.TakeNumber(&v.sr, &too_long)) return Bad(input, "SR needs a number");
    }
    if (c.TakeChar('.')) {
      size_t nd = 0;
      if (!c.TakeNumber(&n, &too_long, &nd)) {
        return Bad(input, "expected a build number after '.'");
      }
      // A device pack's ".0" names the release, not a build (9.4(2SR4.0) labels the load
      // SCCP45.9-4-2SR4-3S); any other number is the build (9.4(2SR3.1) = ...SR3-1S).
      if (n == 0 && nd == 1) {
        v.any_build = true;
      } else {
        v.build.push_back(n);
      }
    }
    if (!c.TakeChar(')')) return Bad(input, "expected ')'");
    if (c.TakeWord("SR")) {
      if (v.sr != 0) return Bad(input, "two service releases");
      if (!c.TakeNumber(&v.sr, &too_long)) return Bad(input, "SR needs a number");
    }
    if (c.TakeWord("ES")) {
      if (!c.TakeNumber(&v.es, &too_long)) return Bad(input, "ES needs a number");
    }
    if (!c.done()) return Bad(input, "unexpected \"" + std::string(c.rest()) + "\"");
    return v;
  }
  // Dotted: N.N[.N]...[letters][(tag)]; 7.6.2.a (an Upgrade_Rule operand) is 7.6.2a.
  while (c.TakeChar('.')) {
    if (IsAlpha(c.peek()) && v.release.size() >= 3) break;
    if (v.release.size() >= 6) return Bad(input, "too many fields");
    if (!c.TakeNumber(&n, &too_long))
      return Bad(input, too_long ? "number too long" : "expected a number after '.'");
    v.release.push_back(n);
  }
  while (IsAlpha(c.peek())) {
    if (v.letter.size() >= 4) return Bad(input, "letter suffix too long");
    v.letter.push_back(Lower(c.peek()));
    c.TakeChar(c.peek());
  }
  if (c.TakeChar('(')) {
    std::string_view rest = c.rest();
    size_t close = rest.find(')');
    if (close == std::string_view::npos) return Bad(input, "expected ')'");
    if (close + 1 != rest.size()) return Bad(input, "unexpected text after ')'");
    if (auto err = ParseDottedTag(input, rest.substr(0, close), v)) return *err;
    return v;
  }
  if (!c.done()) return Bad(input, "unexpected \"" + std::string(c.rest()) + "\"");
  return v;
}

int CompareNumbers(const std::vector<int>& a, const std::vector<int>& b) {
  size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    int x = i < a.size() ? a[i] : 0;
    int y = i < b.size() ? b[i] : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

int CompareLetters(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace

std::string_view ProtocolName(Protocol p) {
  switch (p) {
    case Protocol::kSccp:
      return "sccp";
    case Protocol::kSip:
      return "sip";
    case Protocol::kMpp:
      return "mpp";
    case Protocol::kNone:
      break;
  }
  return "";
}

std::optional<Protocol> ParseProtocol(std::string_view s) {
  std::string l;
  for (char c : s) l.push_back(Lower(c));
  if (l == "sccp") return Protocol::kSccp;
  if (l == "sip") return Protocol::kSip;
  if (l == "mpp") return Protocol::kMpp;
  return std::nullopt;
}

Result<Version> ParseVersion(std::string_view s) {
  if (s.empty()) return BadInput("unparsable version \"\": empty string");
  if (s.size() > kMaxInput) {
    return BadInput("unparsable version \"" + std::string(s.substr(0, 40)) + "...\": longer than " +
                    std::to_string(kMaxInput) + " characters");
  }
  for (char ch : s) {
    if (static_cast<unsigned char>(ch) < 0x21 || static_cast<unsigned char>(ch) > 0x7e) {
      return Bad(s, "contains a space, control or non-ASCII character");
    }
  }
  if (s.size() > 4 && (s[0] == 'P' || s[0] == 'p') && s[1] == '0' &&
      (s[2] == 'S' || s[2] == 's' || s[2] == '0') && s[3] == '3') {
    return ParseLegacy7940(s);
  }
  if (IsAlpha(s[0])) {
    size_t dot = s.find('.');
    if (dot == std::string_view::npos) return Bad(s, "a load name needs PREFIX.VERSION");
    return ParseLoad(s, dot);
  }
  if (!IsDigit(s[0])) return Bad(s, "must start with a digit or a load prefix");
  size_t i = 0;
  while (i < s.size() && IsDigit(s[i])) ++i;
  if (i < s.size() && s[i] == '-') return ParseBareDashed(s);
  return ParseDotted(s);
}

int Compare(const Version& a, const Version& b) {
  if (a.any_maintenance || b.any_maintenance) {
    auto head = [](const std::vector<int>& r) {
      return std::vector<int>(r.begin(),
                              r.begin() + static_cast<long>(std::min<size_t>(2, r.size())));
    };
    if (int c = CompareNumbers(head(a.release), head(b.release))) return c;
  } else if (int c = CompareNumbers(a.release, b.release)) {
    return c;
  }
  if (int c = CompareLetters(a.letter, b.letter)) return c;
  if (a.sr != b.sr) return a.sr < b.sr ? -1 : 1;
  if (a.es != b.es) return a.es < b.es ? -1 : 1;
  if (!a.any_build && !b.any_build) {
    if (int c = CompareNumbers(a.build, b.build)) return c;
  }
  if (a.rc != b.rc) {
    if (a.rc == 0 || b.rc == 0) return a.rc == 0 ? 1 : -1;  // a candidate precedes its release
    return a.rc < b.rc ? -1 : 1;
  }
  if (a.rc > 0) return 0;  // the same candidate, however its tag is spelled
  int c = a.tag.compare(b.tag);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

bool SameRelease(const Version& a, const Version& b) {
  if (a.letter != b.letter || a.sr != b.sr) return false;
  if (a.any_maintenance || b.any_maintenance) {  // P0030801SR02: major and minor only
    auto two = [](const Version& v) {
      return std::vector<int>(v.release.begin(),
                              v.release.begin() + std::min<size_t>(2, v.release.size()));
    };
    return CompareNumbers(two(a), two(b)) == 0;
  }
  return CompareNumbers(a.release, b.release) == 0;
}

std::string ReleaseLabel(const Version& v) {
  if (v.scheme == "dotted") return v.input;
  std::string out;
  for (size_t i = 0; i < v.release.size(); ++i) {
    if (i == 1) out += '.';
    if (i == 2) out += '(';
    if (i > 2) out += '.';
    out += std::to_string(v.release[i]);
  }
  if (v.release.size() >= 3) out += ')';
  if (v.sr > 0) out += "SR" + std::to_string(v.sr);
  return out;
}

}  // namespace stepup
