#include "test/localkube/net/service_routes.h"

#include <catch2/catch.hpp>

namespace tusk::localkube::net {
namespace {

using nlohmann::json;

json Service(const std::string& cluster_ip) {
  return json::parse(R"({"metadata":{"name":"db-rw","namespace":"prod"},
    "spec":{"clusterIP":")" + cluster_ip + R"(","ports":[{"name":"postgres","port":5432,"targetPort":5432},
                                           {"name":"metrics","port":9187,"protocol":"TCP"},
                                           {"name":"dns","port":53,"protocol":"UDP"}]}})");
}

json Endpoints() {
  return json::parse(R"({"metadata":{"name":"db-rw","namespace":"prod"},"subsets":[
    {"addresses":[{"ip":"10.244.0.5","hostname":"db-1"}],
     "notReadyAddresses":[{"ip":"10.244.0.6"}],
     "ports":[{"name":"postgres","port":5432},{"name":"metrics","port":9187}]}]})");
}

}  // namespace

TEST_CASE("a ClusterIP route lists only ready addresses, per TCP port", "[routes]") {
  auto route = RouteFor(Service("10.96.0.20"), Endpoints());
  REQUIRE(route.ok());
  CHECK(route->key == "prod/db-rw");
  CHECK(route->cluster_ip == "10.96.0.20");
  REQUIRE(route->ports.size() == 2);  // UDP is not proxied
  CHECK(route->ports[0].port == 5432);
  CHECK(route->ports[0].backends == std::vector<Backend>{{"10.244.0.5", 5432}});
  CHECK(route->ports[1].backends == std::vector<Backend>{{"10.244.0.5", 9187}});
}

TEST_CASE("a Service without Endpoints routes nowhere", "[routes]") {
  auto route = RouteFor(Service("10.96.0.20"), nullptr);
  REQUIRE(route.ok());
  REQUIRE(route->ports.size() == 2);
  CHECK(route->ports[0].backends.empty());
}

TEST_CASE("hosts file resolves all four name forms, short name only in its namespace", "[routes]") {
  auto records = DnsRecordsFor(Service("10.96.0.20"), Endpoints());
  REQUIRE(records.size() == 1);
  const std::string same_ns = RenderHostsFile("app-1", "10.244.0.9", "prod", records);
  CHECK(same_ns.find("10.244.0.9\tapp-1\n") != std::string::npos);
  CHECK(same_ns.find("10.96.0.20\tdb-rw.prod.svc.cluster.local db-rw.prod.svc db-rw.prod db-rw\n") !=
        std::string::npos);
  const std::string other_ns = RenderHostsFile("app-1", "10.244.0.9", "dev", records);
  CHECK(other_ns.find("10.96.0.20\tdb-rw.prod.svc.cluster.local db-rw.prod.svc db-rw.prod\n") != std::string::npos);
}

TEST_CASE("a headless Service resolves to its endpoints and their hostnames", "[routes]") {
  auto records = DnsRecordsFor(Service("None"), Endpoints());
  REQUIRE(records.size() == 2);
  CHECK(records[0].name == "db-rw.prod.svc.cluster.local");
  CHECK(records[0].ips == std::vector<std::string>{"10.244.0.5"});
  CHECK(records[1].name == "db-1.db-rw.prod.svc.cluster.local");
  auto route = RouteFor(Service("None"), Endpoints());
  REQUIRE(route.ok());
  CHECK(route->cluster_ip.empty());
}

TEST_CASE("resolv.conf searches the pod's namespace first", "[routes]") {
  CHECK(RenderResolvConf("prod").rfind("search prod.svc.cluster.local svc.cluster.local cluster.local\n", 0) == 0);
}

}  // namespace tusk::localkube::net
