#include "common/base/status.h"

#include <cerrno>
#include <memory>

#include <catch2/catch.hpp>

namespace tusk {
namespace {

Status FailIfNegative(int x) {
  if (x < 0) return InvalidArgumentError("negative: " + std::to_string(x));
  return OkStatus();
}

StatusOr<int> Half(int x) {
  RETURN_IF_ERROR(FailIfNegative(x));
  if (x % 2) return FailedPreconditionError("odd");
  return x / 2;
}

StatusOr<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(auto q, Half(h));
  return q;
}

TEST_CASE("an error status keeps its code and message; OK has neither") {
  Status ok;
  CHECK(ok.ok());
  CHECK(ok.ToString() == "OK");
  Status nf = NotFoundError("pod x");
  CHECK_FALSE(nf.ok());
  CHECK(nf.code() == StatusCode::kNotFound);
  CHECK(nf.ToString() == "NOT_FOUND: pod x");
  CHECK(Status(StatusCode::kOk, "ignored").message().empty());
}

TEST_CASE("WithContext reads outside-in and keeps the code") {
  Status s = ConflictError("stale resourceVersion").WithContext("update cluster-1").WithContext("failover");
  CHECK(s.code() == StatusCode::kConflict);
  CHECK(s.message() == "failover: update cluster-1: stale resourceVersion");
  CHECK(OkStatus().WithContext("x").ok());
}

TEST_CASE("RETURN_IF_ERROR and ASSIGN_OR_RETURN propagate the first error unchanged") {
  CHECK(*Quarter(8) == 2);
  auto neg = Quarter(-4);
  REQUIRE_FALSE(neg.ok());
  CHECK(neg.status().code() == StatusCode::kInvalidArgument);
  CHECK(neg.status().message() == "negative: -4");
  auto odd = Quarter(6);  // 6/2 = 3 is odd at the second step
  REQUIRE_FALSE(odd.ok());
  CHECK(odd.status().code() == StatusCode::kFailedPrecondition);
}

TEST_CASE("StatusOr holds move-only values and refuses an OK status as an error") {
  StatusOr<std::unique_ptr<int>> p = std::make_unique<int>(7);
  REQUIRE(p.ok());
  std::unique_ptr<int> taken = std::move(p).value();
  CHECK(*taken == 7);

  StatusOr<int> bogus = OkStatus();
  CHECK_FALSE(bogus.ok());
  CHECK(bogus.status().code() == StatusCode::kInternal);
  CHECK(bogus.value_or(5) == 5);
}

TEST_CASE("errno values map to the codes callers branch on") {
  CHECK(ErrnoError("open x", ENOENT).code() == StatusCode::kNotFound);
  CHECK(ErrnoError("write", ENOSPC).code() == StatusCode::kResourceExhausted);
  CHECK(ErrnoError("open", EACCES).code() == StatusCode::kPermissionDenied);
  CHECK(ErrnoError("connect", ECONNREFUSED).code() == StatusCode::kUnavailable);
  CHECK(ErrnoError("open x", ENOENT).message() == "open x: No such file or directory");
}

}  // namespace
}  // namespace tusk
