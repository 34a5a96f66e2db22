#include "core/rollout.h"

#include <charconv>

namespace stepup {
namespace {

// "HH:MM" as minutes of the day, or nullopt.
std::optional<int> Minutes(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  int h = 0, m = 0;
  auto digits = [](std::string_view p, int& out) {
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), out);
    return ec == std::errc() && end == p.data() + p.size();
  };
  if (!digits(s.substr(0, 2), h) || !digits(s.substr(3, 2), m)) return std::nullopt;
  if (h < 0 || h > 23 || m < 0 || m > 59) return std::nullopt;
  return h * 60 + m;
}

}  // namespace

Status CheckGroupName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64;
  for (char c : name) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    ok = ok && allowed;
  }
  if (ok) return Ok{};
  return BadInput("group name \"" + std::string(name.substr(0, 80)) +
                  "\": use 1 to 64 letters, digits, '.', '_' or '-'");
}

bool RolloutWindow::Contains(int64_t now_ms) const {
  constexpr int64_t kDayMs = 24 * 60 * 60 * 1000;
  const int minute = static_cast<int>(((now_ms % kDayMs + kDayMs) % kDayMs) / 60000);
  return open < close ? minute >= open && minute < close : minute >= open || minute < close;
}

Result<RolloutWindow> ParseWindow(std::string_view text) {
  const size_t dash = text.find('-');
  std::optional<int> open, close;
  if (dash != std::string_view::npos) {
    open = Minutes(text.substr(0, dash));
    close = Minutes(text.substr(dash + 1));
  }
  if (!open || !close)
    return BadInput("window \"" + std::string(text.substr(0, 80)) +
                    "\": expected HH:MM-HH:MM in UTC, e.g. 22:00-05:00");
  if (*open == *close)
    return BadInput("window \"" + std::string(text) +
                    "\" opens and closes at the same minute: leave the window out to allow "
                    "upgrades at any time");
  return RolloutWindow{*open, *close};
}

std::string GroupOf(const Device& d) {
  auto it = d.settings.find(kGroupSetting);
  return it == d.settings.end() ? "" : it->second;
}

RolloutView RolloutFor(const Device& d, const RolloutGroup* group, int64_t now_ms,
                       bool group_target_fits) {
  RolloutView v;
  v.group = group;
  v.target = d.target;
  if (!group) return v;
  if (!group->target.empty() && group_target_fits && (d.target.empty() || d.target == "latest"))
    v.target = group->target;
  if (group->paused) {
    v.held = "group " + group->name + " is paused";
  } else if (!group->window.empty()) {
    auto w = ParseWindow(group->window);
    if (w && !w->Contains(now_ms))
      v.held = "group " + group->name + " upgrades only in its window " + group->window + " UTC";
  }
  return v;
}

}  // namespace stepup
