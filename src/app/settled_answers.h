// Answers to requests whose outcome is settled: a known device with nothing pending, whose
// request changed nothing. Keyed by what identifies the request (transport, method, target,
// User-Agent, certificate), each answer is valid while the inventory's devices and the
// firmware on hand are what they were when it was made, so a repeat skips identification,
// lookup, planning and rendering. Bounded; thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "app/request.h"

namespace stepup {

class SettledAnswers {
 public:
  // What an answer was derived from, read before the request is handled: a change made while
  // it is handled can only make the answer look stale, never fresh.
  struct Stamp {
    const std::string* key = nullptr;  // from Key()
    int64_t devices_version = 0;       // Inventory::DevicesVersion(); < 0: unknown, no reuse
    uint64_t firmware_generation = 0;  // moves whenever the images on hand change
  };

  // The request's key (into `key`, reusing its capacity).
  static void Key(const Request& req, std::string& key);
  // The device and the answer kept for this stamp's key, if it was made under the same stamp.
  std::optional<std::pair<int64_t, Response>> Find(const Stamp& stamp);
  // Keeps the answer for the stamp's key.
  void Keep(const Stamp& stamp, int64_t device_id, const Response& r);

 private:
  struct Entry {
    int64_t devices_version = 0;
    uint64_t firmware_generation = 0;
    int64_t device_id = 0;
    Response response;
  };
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  static constexpr size_t kMaxEntries = 200000;

  std::mutex mu_;
  std::unordered_map<std::string, Entry, KeyHash, std::equal_to<>> entries_;
};

}  // namespace stepup
