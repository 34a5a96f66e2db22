// Result<T>: a value or an Error, returned across module boundaries (style.md rule 4).
// Errors carry a kind that maps to the CLI's exit codes and a message that names the input.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace stepup {

enum class ErrorKind {
  kBadInput,  // malformed value or usage: exit 2
  kNoPath,    // no upgrade path: exit 3
  kUnknown,   // unknown device or model: exit 4
  kIo,        // file, directory, socket or database failure: exit 5
};

struct Error {
  ErrorKind kind = ErrorKind::kBadInput;
  std::string message;
};

inline Error BadInput(std::string message) { return {ErrorKind::kBadInput, std::move(message)}; }
inline Error Unknown(std::string message) { return {ErrorKind::kUnknown, std::move(message)}; }
inline Error IoError(std::string message) { return {ErrorKind::kIo, std::move(message)}; }

// The value of a Result that carries nothing but success.
struct Ok {};

// [[nodiscard]]: a Result dropped on the floor is an error nobody reported.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

using Status = Result<Ok>;

}  // namespace stepup
