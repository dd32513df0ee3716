// util/result: errors as values (LevelDB style) for every module.
//
// A Result<T> holds either a value or an Error with a one-line, user-facing message that names the
// problem (file, field, value). Modules return Results instead of throwing across module boundaries;
// the CLI prints the message and exits with the Error's exit code (2 for bad input by default).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace paramscale {

struct Error {
  std::string message;
  int exit_code = 2;  // 2: bad input (usage, malformed file, impossible request); 1: runtime failure
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  const Error& error() const { return std::get<Error>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design
  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

inline Error bad_input(std::string message) { return Error{std::move(message), 2}; }
inline Error failure(std::string message) { return Error{std::move(message), 1}; }

}  // namespace paramscale
