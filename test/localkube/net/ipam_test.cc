#include "test/localkube/net/ipam.h"

#include <catch2/catch.hpp>

namespace tusk::localkube::net {

TEST_CASE("CIDRs parse, mask and print", "[ipam]") {
  auto net = ParseCidr("10.244.3.7/16");
  REQUIRE(net.ok());
  CHECK(net->ToString() == "10.244.0.0/16");
  CHECK(net->Contains(*ParseIpv4("10.244.255.1")));
  CHECK_FALSE(net->Contains(*ParseIpv4("10.245.0.1")));
  CHECK_FALSE(ParseCidr("10.0.0.0").ok());
  CHECK_FALSE(ParseCidr("10.0.0.0/33").ok());
  CHECK_FALSE(ParseCidr("nope/16").ok());
}

TEST_CASE("pod IPs skip the gateway, never repeat while held, and run out cleanly", "[ipam]") {
  IpAllocator pods(*ParseCidr("10.1.0.0/29"), 1);  // .0 network, .1 gateway, .7 broadcast
  std::set<std::string> got;
  for (int i = 0; i < 5; ++i) {
    auto ip = pods.Allocate();
    REQUIRE(ip.ok());
    got.insert(FormatIpv4(*ip));
  }
  CHECK(got == std::set<std::string>{"10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5", "10.1.0.6"});
  auto full = pods.Allocate();
  CHECK(full.status().code() == StatusCode::kResourceExhausted);
  pods.Release(*ParseIpv4("10.1.0.4"));
  auto again = pods.Allocate();
  REQUIRE(again.ok());
  CHECK(FormatIpv4(*again) == "10.1.0.4");
}

TEST_CASE("a released pod IP is not handed out again right away", "[ipam]") {
  IpAllocator pods(*ParseCidr("10.1.0.0/24"), 1);
  auto first = pods.Allocate();
  REQUIRE(first.ok());
  pods.Release(*first);
  auto second = pods.Allocate();
  REQUIRE(second.ok());
  CHECK(*second != *first);
}

TEST_CASE("a requested ClusterIP is claimed once and must be in range", "[ipam]") {
  IpAllocator services(*ParseCidr("10.96.0.0/16"), 0);
  CHECK(services.Claim(*ParseIpv4("10.96.0.10")).ok());
  CHECK(services.Claim(*ParseIpv4("10.96.0.10")).code() == StatusCode::kAlreadyExists);
  CHECK(services.Claim(*ParseIpv4("10.97.0.10")).code() == StatusCode::kInvalidArgument);
  auto next = services.Allocate();
  REQUIRE(next.ok());
  CHECK(FormatIpv4(*next) == "10.96.0.1");
}

}  // namespace tusk::localkube::net
