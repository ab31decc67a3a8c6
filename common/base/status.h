// Errors as values: Status carries a code and a message that tells the user
// what to do; StatusOr<T> is a T or the Status explaining why there is none.
// Exceptions never cross a module boundary; parse sites convert them here.
#pragma once

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace tusk {

// gRPC's canonical codes plus the two Kubernetes outcomes callers branch on
// (Conflict: stale resourceVersion; Gone: watch history expired).
enum class StatusCode {
  kOk = 0,
  kCancelled,
  kUnknown,
  kInvalidArgument,
  kDeadlineExceeded,
  kNotFound,
  kAlreadyExists,
  kPermissionDenied,
  kUnauthenticated,
  kResourceExhausted,
  kFailedPrecondition,
  kAborted,
  kConflict,
  kGone,
  kOutOfRange,
  kUnimplemented,
  kInternal,
  kUnavailable,
  kDataLoss,
};

// "NOT_FOUND", "CONFLICT", ...
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message);

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // The same error with "context: " in front of the message, so a failure
  // deep in a call chain reads as a sentence from the outside in.
  Status WithContext(std::string_view context) const;

  // "OK" or "NOT_FOUND: message".
  std::string ToString() const;

  // Marks an error as deliberately not handled.
  void IgnoreError() const {}

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status OkStatus() { return Status(); }
Status CancelledError(std::string message);
Status UnknownError(std::string message);
Status InvalidArgumentError(std::string message);
Status DeadlineExceededError(std::string message);
Status NotFoundError(std::string message);
Status AlreadyExistsError(std::string message);
Status PermissionDeniedError(std::string message);
Status UnauthenticatedError(std::string message);
Status ResourceExhaustedError(std::string message);
Status FailedPreconditionError(std::string message);
Status AbortedError(std::string message);
Status ConflictError(std::string message);
Status GoneError(std::string message);
Status OutOfRangeError(std::string message);
Status UnimplementedError(std::string message);
Status InternalError(std::string message);
Status UnavailableError(std::string message);
Status DataLossError(std::string message);

// An error from errno: "<what>: <strerror(err)>", coded by the errno value
// (ENOENT is NotFound, EACCES PermissionDenied, ENOSPC ResourceExhausted...).
Status ErrnoError(std::string_view what, int err);

namespace internal {
[[noreturn]] void DieOnBadAccess(const Status& status);
}

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  // An error. Constructing from an OK status is a programming error and
  // becomes an Internal error rather than an empty value.
  StatusOr(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    if (std::get<Status>(v_).ok()) {
      v_ = Status(StatusCode::kInternal, "StatusOr constructed from an OK status");
    }
  }
  StatusOr(const T& value) : v_(value) {}      // NOLINT
  StatusOr(T&& value) : v_(std::move(value)) {}  // NOLINT
  template <typename U,
            typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                        !std::is_same_v<std::decay_t<U>, Status> &&
                                        !std::is_same_v<std::decay_t<U>, StatusOr>>>
  StatusOr(U&& value) : v_(T(std::forward<U>(value))) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }

  Status status() const {
    if (ok()) return Status();
    return std::get<Status>(v_);
  }

  // Accessing the value of an error aborts with the error: it is always a bug.
  const T& value() const& {
    if (!ok()) internal::DieOnBadAccess(std::get<Status>(v_));
    return std::get<T>(v_);
  }
  T& value() & {
    if (!ok()) internal::DieOnBadAccess(std::get<Status>(v_));
    return std::get<T>(v_);
  }
  T&& value() && {
    if (!ok()) internal::DieOnBadAccess(std::get<Status>(v_));
    return std::get<T>(std::move(v_));
  }
  T value_or(T fallback) const& { return ok() ? std::get<T>(v_) : std::move(fallback); }

  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace tusk

#define TUSK_CONCAT_INNER(a, b) a##b
#define TUSK_CONCAT(a, b) TUSK_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function if `expr` is an error.
#define RETURN_IF_ERROR(expr)                       \
  do {                                              \
    ::tusk::Status tusk_status_ = (expr);           \
    if (!tusk_status_.ok()) return tusk_status_;    \
  } while (0)

// ASSIGN_OR_RETURN(auto x, Foo()) or ASSIGN_OR_RETURN(x, Foo()).
#define ASSIGN_OR_RETURN(lhs, expr) \
  TUSK_ASSIGN_OR_RETURN_IMPL(TUSK_CONCAT(tusk_statusor_, __LINE__), lhs, expr)
#define TUSK_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()
