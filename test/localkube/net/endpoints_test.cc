#include "test/localkube/net/endpoints.h"

#include <catch2/catch.hpp>

#include "test/localkube/net/service_routes.h"

namespace tusk::localkube::net {
namespace {

using nlohmann::json;

json Pod(const std::string& name, const std::string& ip, bool ready, const std::string& role = "primary") {
  return {{"metadata", {{"name", name}, {"namespace", "prod"}, {"uid", name + "-uid"},
                        {"labels", {{"cnpg.io/cluster", "db"}, {"role", role}}}}},
          {"spec", {{"nodeName", "node-1"},
                    {"containers", json::array({{{"name", "postgres"},
                                                 {"ports", json::array({{{"name", "postgresql"}, {"containerPort", 5432}}})}}})}}},
          {"status", {{"phase", "Running"},
                      {"podIP", ip},
                      {"conditions", json::array({{{"type", "Ready"}, {"status", ready ? "True" : "False"}}})}}}};
}

json Service(bool publish_not_ready) {
  return {{"metadata", {{"name", "db-rw"}, {"namespace", "prod"}}},
          {"spec", {{"clusterIP", "10.96.0.9"},
                    {"selector", {{"cnpg.io/cluster", "db"}, {"role", "primary"}}},
                    {"publishNotReadyAddresses", publish_not_ready},
                    {"ports", json::array({{{"name", "postgres"}, {"port", 5432}, {"targetPort", "postgresql"}}})}}}};
}

}  // namespace

TEST_CASE("readiness gates Endpoints: only ready, selected pods receive new connections", "[endpoints]") {
  std::vector<json> pods = {Pod("db-1", "10.244.0.2", true), Pod("db-2", "10.244.0.3", false),
                            Pod("db-3", "10.244.0.4", true, "replica"), Pod("db-4", "", true)};
  json ep = EndpointsFor(Service(false), pods);
  REQUIRE(ep["subsets"].size() == 1);
  const json& subset = ep["subsets"][0];
  REQUIRE(subset["addresses"].size() == 1);
  CHECK(subset["addresses"][0]["ip"] == "10.244.0.2");
  CHECK(subset["addresses"][0]["targetRef"]["name"] == "db-1");
  CHECK(subset["notReadyAddresses"][0]["ip"] == "10.244.0.3");
  CHECK(subset["ports"][0]["port"] == 5432);  // the named targetPort, resolved
  auto route = RouteFor(Service(false), ep);
  REQUIRE(route.ok());
  CHECK(route->ports[0].backends == std::vector<Backend>{{"10.244.0.2", 5432}});
}

TEST_CASE("publishNotReadyAddresses lists not-ready pods as addresses", "[endpoints]") {
  json ep = EndpointsFor(Service(true), {Pod("db-1", "10.244.0.2", false)});
  CHECK(ep["subsets"][0]["addresses"][0]["ip"] == "10.244.0.2");
  CHECK_FALSE(ep["subsets"][0].contains("notReadyAddresses"));
}

TEST_CASE("deleted or finished pods and selector-less Services get no addresses", "[endpoints]") {
  json deleting = Pod("db-1", "10.244.0.2", true);
  deleting["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  json done = Pod("db-2", "10.244.0.3", true);
  done["status"]["phase"] = "Succeeded";
  CHECK(EndpointsFor(Service(false), {deleting, done})["subsets"].empty());
  json manual = Service(false);
  manual["spec"].erase("selector");
  CHECK(EndpointsFor(manual, {Pod("db-1", "10.244.0.2", true)}).is_null());
}

}  // namespace tusk::localkube::net
