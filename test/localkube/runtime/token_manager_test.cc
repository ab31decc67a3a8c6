#include "test/localkube/runtime/token_manager.h"

#include <catch2/catch.hpp>

namespace tusk::localkube {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

// A TokenRequest API that numbers its tokens and can be made to fail.
class CountingTokens final : public ObjectSource {
 public:
  CountingTokens(Clock& clock, int64_t granted_seconds) : clock_(clock), granted_(granted_seconds) {}
  StatusOr<nlohmann::json> GetSecret(const std::string&, const std::string&) override { return NotFoundError("no"); }
  StatusOr<nlohmann::json> GetConfigMap(const std::string&, const std::string&) override { return NotFoundError("no"); }
  StatusOr<std::string> ClaimPath(const std::string&, const std::string&) override { return NotFoundError("no"); }
  StatusOr<IssuedToken> RequestToken(const std::string& ns, const TokenRequestSpec& r) override {
    if (failing) return UnavailableError("the API server is unreachable");
    ++requests;
    return IssuedToken{ns + "/" + r.pod_uid + "#" + std::to_string(requests), clock_.WallNow() + seconds(granted_),
                       granted_};
  }
  int requests = 0;
  bool failing = false;

 private:
  Clock& clock_;
  int64_t granted_;
};

TokenRequestSpec ForPod(const std::string& uid) { return {"default", {}, 3607, "pod-" + uid, uid}; }

// A kubelet's token manager over an API server granting `granted_seconds`.
struct Manager {
  explicit Manager(int64_t granted_seconds) : api(clock, granted_seconds), tokens(api, clock) {}
  FakeClock clock;
  CountingTokens api;
  TokenManager tokens;
};

TEST_CASE("the kubelet refreshes a token after 80% of its lifetime, or after 24 hours", "[tokens]") {
  const WallTime t0 = WallTime(seconds(1'800'000'000));
  const IssuedToken hour{"t", t0 + seconds(3600), 3600};
  CHECK_FALSE(TokenNeedsRefresh(hour, t0));
  CHECK_FALSE(TokenNeedsRefresh(hour, t0 + seconds(2879)));
  CHECK(TokenNeedsRefresh(hour, t0 + seconds(2880)));
  const IssuedToken short_lived{"t", t0 + seconds(20), 20};
  CHECK_FALSE(TokenNeedsRefresh(short_lived, t0 + seconds(15)));
  CHECK(TokenNeedsRefresh(short_lived, t0 + seconds(16)));
  const IssuedToken two_days{"t", t0 + hours(48), 48 * 3600};
  CHECK_FALSE(TokenNeedsRefresh(two_days, t0 + hours(24) - seconds(1)));
  CHECK(TokenNeedsRefresh(two_days, t0 + hours(24)));
}

TEST_CASE("the token manager keeps a token until it needs a refresh", "[tokens]") {
  Manager m(20);
  auto& [clock, api, tokens] = m;
  auto first = tokens.RequestToken("ns", ForPod("a"));
  REQUIRE(first.ok());
  clock.Advance(seconds(15));
  auto same = tokens.RequestToken("ns", ForPod("a"));
  REQUIRE(same.ok());
  CHECK(same->token == first->token);
  CHECK(api.requests == 1);
  // Another pod has a token of its own.
  auto other = tokens.RequestToken("ns", ForPod("b"));
  REQUIRE(other.ok());
  CHECK(other->token != first->token);
  clock.Advance(seconds(1));  // 16 s: 80% of 20
  auto fresh = tokens.RequestToken("ns", ForPod("a"));
  REQUIRE(fresh.ok());
  CHECK(fresh->token != first->token);
  CHECK(fresh->expires == clock.WallNow() + seconds(20));
  CHECK(api.requests == 3);
}

TEST_CASE("a failed refresh keeps the old token while it is valid", "[tokens]") {
  Manager m(20);
  auto& [clock, api, tokens] = m;
  auto first = tokens.RequestToken("ns", ForPod("a"));
  REQUIRE(first.ok());
  api.failing = true;
  clock.Advance(seconds(17));
  auto kept = tokens.RequestToken("ns", ForPod("a"));
  REQUIRE(kept.ok());
  CHECK(kept->token == first->token);
  clock.Advance(seconds(3));  // 20 s: expired
  auto expired = tokens.RequestToken("ns", ForPod("a"));
  REQUIRE_FALSE(expired.ok());
  CHECK(expired.status().code() == StatusCode::kUnavailable);
  api.failing = false;
  auto back = tokens.RequestToken("ns", ForPod("a"));
  REQUIRE(back.ok());
  CHECK(back->token != first->token);
}

TEST_CASE("a deleted pod's tokens are forgotten", "[tokens]") {
  Manager m(3600);
  auto& [clock, api, tokens] = m;
  REQUIRE(tokens.RequestToken("ns", ForPod("a")).ok());
  REQUIRE(tokens.RequestToken("ns", ForPod("b")).ok());
  tokens.ForgetPod("a");
  REQUIRE(tokens.RequestToken("ns", ForPod("b")).ok());
  CHECK(api.requests == 2);
  REQUIRE(tokens.RequestToken("ns", ForPod("a")).ok());
  CHECK(api.requests == 3);
}

}  // namespace
}  // namespace tusk::localkube
