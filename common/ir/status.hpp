#pragma once
// Answers to "can this be done?" that are values, not exceptions: a configuration a
// schedule does not allow, or a layout whose costs cannot be derived, is an expected
// outcome of a search (an answer, with its reason), not a failure. pipewise::Error remains
// for failures; throw_if_failed turns an answer into one where a caller needs it.
#include <optional>
#include <string>
#include <utility>

namespace pipewise {

// Ok, or one line saying why not (the same line an Error would carry).
class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  // A failure with `reason`. REQUIRES: !reason.empty().
  static Status failure(std::string reason) { return Status(std::move(reason)); }

  bool ok() const { return reason_.empty(); }
  // Why not; empty when ok().
  const std::string& reason() const { return reason_; }
  // Throws pipewise::Error with the reason when !ok().
  void throw_if_failed() const;

 private:
  explicit Status(std::string reason) : reason_(std::move(reason)) {}
  std::string reason_;
};

// A value, or the Status that says why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: a value converts implicitly
  // REQUIRES: !failure.ok().
  Result(Status failure) : status_(std::move(failure)) {}  // NOLINT: so does a failure

  bool ok() const { return value_.has_value(); }
  // Ok when there is a value.
  const Status& status() const { return status_; }
  // REQUIRES: ok().
  const T& value() const { return *value_; }
  T& value() { return *value_; }
  const T& operator*() const { return *value_; }
  const T* operator->() const { return &*value_; }
  // The value, or pipewise::Error with the reason.
  const T& value_or_throw() const {
    status_.throw_if_failed();
    return *value_;
  }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace pipewise
