#include <catch2/catch.hpp>

#include "operator/specs/test_clusters.h"

namespace tusk::op::specs {
namespace {

using testing::Example;

TEST_CASE("instance names and serials", "[specs][names]") {
  CHECK(InstanceName("pg", 3) == "pg-3");
  CHECK(SerialOf("pg", "pg-3") == 3);
  CHECK(SerialOf("pg", "pg-12") == 12);
  CHECK(SerialOf("pg", InstanceName("pg", 2147483647)) == 2147483647);
  CHECK_FALSE(SerialOf("pg", "pg-3-wal").has_value());
  CHECK_FALSE(SerialOf("pg", "pg-03").has_value());
  CHECK_FALSE(SerialOf("pg", "pg-0").has_value());
  CHECK_FALSE(SerialOf("pg", "pg-").has_value());
  CHECK_FALSE(SerialOf("pg", "pg-x").has_value());
  CHECK_FALSE(SerialOf("pg", "pg-99999999999").has_value());
  CHECK_FALSE(SerialOf("pg", "other-1").has_value());
  CHECK_FALSE(SerialOf("pg", "pg-rw").has_value());
  // Cluster names have dashes too: "pg-1-2" is serial 2 of cluster "pg-1".
  CHECK(SerialOf("pg-1", "pg-1-2") == 2);
  CHECK_FALSE(SerialOf("pg", "pg-1-2").has_value());
  CHECK(DataPvcName("pg-3") == "pg-3");
  CHECK(WalPvcName("pg-3") == "pg-3-wal");
}

TEST_CASE("Service, Secret and ServiceAccount names", "[specs][names]") {
  CHECK(ServiceName("pg", ServiceKind::kRw) == "pg-rw");
  CHECK(ServiceName("pg", ServiceKind::kRo) == "pg-ro");
  CHECK(ServiceName("pg", ServiceKind::kR) == "pg-r");
  CHECK(CaSecretName("pg") == "pg-ca");
  CHECK(ServerSecretName("pg") == "pg-server");
  CHECK(ReplicationSecretName("pg") == "pg-replication");
  api::Cluster c = Example();
  CHECK(AppSecretName(c) == "cluster-example-app");
  CHECK(SuperuserSecretName(c) == "cluster-example-superuser");
  CHECK(InstanceServiceAccountName(c) == "cluster-example");
  api::Cluster named = Example(Json::parse(R"({"bootstrap": {"initdb": {"secret": {"name": "mine"}}},
      "superuserSecret": {"name": "root"}, "serviceAccountName": "sa"})"));
  CHECK(AppSecretName(named) == "mine");
  CHECK(SuperuserSecretName(named) == "root");
  CHECK(InstanceServiceAccountName(named) == "sa");
}

TEST_CASE("certificate Secrets default to the operator's and follow spec.certificates", "[specs][names]") {
  CertificateSecrets own = CertificateSecretNames(Example());
  CHECK(own.server_ca == "cluster-example-ca");
  CHECK(own.client_ca == "cluster-example-ca");
  CHECK(own.server_tls == "cluster-example-server");
  CHECK(own.replication_tls == "cluster-example-replication");
  CertificateSecrets user = CertificateSecretNames(
      Example(Json::parse(R"({"certificates": {"serverCASecret": "a", "clientCASecret": "b"}})")));
  CHECK(user.server_ca == "a");
  CHECK(user.client_ca == "b");
  CHECK(user.server_tls == "cluster-example-server");
}

TEST_CASE("the PostgreSQL major comes from the image tag", "[specs][names]") {
  CHECK(PostgresMajor(Example()) == 18);  // the default image, 18.6-system-trixie
  CHECK(PostgresMajor(Example({{"imageName", "ghcr.io/cloudnative-pg/postgresql:16"}})) == 16);
  CHECK(PostgresMajor(Example({{"imageName", "registry:5000/postgres:15.4-bookworm"}})) == 15);
  CHECK(PostgresMajor(Example({{"imageName", "registry:5000/postgres:17@sha256:abc"}})) == 17);
  // No readable tag: 15.
  CHECK(PostgresMajor(Example({{"imageName", "registry:5000/postgres"}})) == 15);
  CHECK(PostgresMajor(Example({{"imageName", "postgres@sha256:abc"}})) == 15);
  // A catalog's major when the image says nothing; status.image when the controller resolved one.
  api::Cluster catalog = Example(Json::parse(R"({"imageCatalogRef": {"apiGroup": "postgresql.cnpg.io",
      "kind": "ImageCatalog", "name": "pg", "major": 17}})"));
  CHECK(PostgresImage(catalog).empty());
  CHECK(PostgresMajor(catalog) == 17);
  catalog.status.image = "ghcr.io/cloudnative-pg/postgresql:17.2";
  CHECK(PostgresImage(catalog) == "ghcr.io/cloudnative-pg/postgresql:17.2");
  api::Cluster moved = Example({{"imageName", "ghcr.io/cloudnative-pg/postgresql:16"}});
  moved.status.image = "ghcr.io/cloudnative-pg/postgresql:15";
  CHECK(PostgresMajor(moved) == 15);
}

}  // namespace
}  // namespace tusk::op::specs
