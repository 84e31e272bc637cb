#pragma once
// Error values for expected failures (network, HTTP status, parse, validation).
// Every failure is classified, as aria2 does: retry later, give up, or the source itself is broken.

#include <string>
#include <utility>
#include <variant>

namespace tributary {

enum class ErrorClass {
  kRetryable,     // transient: connection refused, timeout, 5xx, 429 ...
  kPermanent,     // retrying the same request cannot help: 404, bad URL, too large ...
  kSourceBroken,  // the source's content or definition is wrong: parse failure, bad selector ...
};

const char* ErrorClassName(ErrorClass c);

struct Error {
  ErrorClass error_class = ErrorClass::kPermanent;
  std::string message;

  static Error Retryable(std::string m) { return {ErrorClass::kRetryable, std::move(m)}; }
  static Error Permanent(std::string m) { return {ErrorClass::kPermanent, std::move(m)}; }
  static Error SourceBroken(std::string m) { return {ErrorClass::kSourceBroken, std::move(m)}; }
};

// Result<T>: a value or an Error. Small on purpose (std::expected is C++23).
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Status: success or an Error, for operations without a value.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error)
      : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)
  static Status Ok() { return {}; }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

inline const char* ErrorClassName(ErrorClass c) {
  switch (c) {
    case ErrorClass::kRetryable:
      return "retryable";
    case ErrorClass::kPermanent:
      return "permanent";
    case ErrorClass::kSourceBroken:
      return "source_broken";
  }
  return "unknown";
}

}  // namespace tributary
