#include <catch2/catch.hpp>

#include "common/tls/certificate.h"
#include "operator/specs/test_clusters.h"

namespace tusk::op::specs {
namespace {

using testing::Example;
using testing::kSettings;

const Json kOwner = {{"apiVersion", "postgresql.cnpg.io/v1"},
                     {"kind", "Cluster"},
                     {"name", "cluster-example"},
                     {"uid", "uid-1"},
                     {"controller", true},
                     {"blockOwnerDeletion", true}};

void CheckOwnedBy(const Json& object) {
  INFO(object["kind"] << " " << object["metadata"]["name"]);
  CHECK(object["metadata"]["namespace"] == "default");
  CHECK(object["metadata"]["labels"]["cnpg.io/cluster"] == "cluster-example");
  CHECK(object["metadata"]["annotations"]["cnpg.io/operatorVersion"] == "0.1.0");
  CHECK(object["metadata"]["ownerReferences"] == Json::array({kOwner}));
}

TEST_CASE("cluster-example's data PVC", "[specs][pvc]") {
  Json pvc = InstancePvc(Example(), 2, PvcRole::kData, kSettings);
  CheckOwnedBy(pvc);
  CHECK(pvc["kind"] == "PersistentVolumeClaim");
  CHECK(pvc["metadata"]["name"] == "cluster-example-2");
  CHECK(pvc["metadata"]["labels"]["cnpg.io/instanceName"] == "cluster-example-2");
  CHECK(pvc["metadata"]["labels"]["cnpg.io/pvcRole"] == "PG_DATA");
  CHECK(pvc["metadata"]["annotations"]["cnpg.io/nodeSerial"] == "2");
  CHECK(pvc["metadata"]["annotations"]["cnpg.io/pvcStatus"] == "initializing");
  CHECK(pvc["spec"] ==
        Json::parse(R"({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}})"));
}

TEST_CASE("the WAL PVC comes from walStorage", "[specs][pvc]") {
  Json pvc =
      InstancePvc(Example({{"walStorage", {{"size", "2Gi"}, {"storageClass", "fast"}}}}), 1, PvcRole::kWal, kSettings);
  CHECK(pvc["metadata"]["name"] == "cluster-example-1-wal");
  CHECK(pvc["metadata"]["labels"]["cnpg.io/pvcRole"] == "PG_WAL");
  CHECK(pvc["spec"] == Json::parse(R"({"accessModes": ["ReadWriteOnce"], "storageClassName": "fast",
      "resources": {"requests": {"storage": "2Gi"}}})"));
  CHECK(HasWalStorage(Example({{"walStorage", {{"size", "2Gi"}}}})));
  CHECK_FALSE(HasWalStorage(Example()));
}

TEST_CASE("size and storageClass win over the pvcTemplate, which keeps the rest", "[specs][pvc]") {
  api::Cluster c = Example(Json::parse(R"({"storage": {"size": "5Gi", "storageClass": "gold", "pvcTemplate": {
      "accessModes": ["ReadWriteOncePod"], "storageClassName": "silver", "volumeMode": "Filesystem",
      "resources": {"requests": {"storage": "3Gi"}, "limits": {"storage": "10Gi"}}}}})"));
  CHECK(InstancePvc(c, 1, PvcRole::kData, kSettings)["spec"] == Json::parse(R"({
      "accessModes": ["ReadWriteOncePod"], "storageClassName": "gold", "volumeMode": "Filesystem",
      "resources": {"requests": {"storage": "5Gi"}, "limits": {"storage": "10Gi"}}})"));
  // Without size, the template's request is the size.
  api::Cluster t = Example(Json::parse(R"({"storage": {"size": null, "pvcTemplate": {
      "resources": {"requests": {"storage": "3Gi"}}}}})"));
  CHECK(InstancePvc(t, 1, PvcRole::kData, kSettings)["spec"]["resources"]["requests"]["storage"] == "3Gi");
}

TEST_CASE("the three Services select what CloudNativePG's select", "[specs][service]") {
  api::Cluster c = Example();
  CHECK(DefaultServices(c) == std::vector<ServiceKind>{ServiceKind::kRw, ServiceKind::kRo, ServiceKind::kR});
  const Json port = Json::array({{{"name", "postgres"}, {"port", 5432}, {"protocol", "TCP"}, {"targetPort", 5432}}});
  struct Case {
    ServiceKind kind;
    const char* name;
    Json selector;
  };
  for (const Case& k : {Case{ServiceKind::kRw,
                             "cluster-example-rw",
                             {{"cnpg.io/cluster", "cluster-example"}, {"cnpg.io/instanceRole", "primary"}}},
                        Case{ServiceKind::kRo,
                             "cluster-example-ro",
                             {{"cnpg.io/cluster", "cluster-example"}, {"cnpg.io/instanceRole", "replica"}}},
                        Case{ServiceKind::kR,
                             "cluster-example-r",
                             {{"cnpg.io/cluster", "cluster-example"}, {"cnpg.io/podRole", "instance"}}}}) {
    Json svc = ClusterService(c, k.kind, kSettings);
    CheckOwnedBy(svc);
    CHECK(svc["metadata"]["name"] == k.name);
    CHECK(svc["spec"]["type"] == "ClusterIP");
    CHECK(svc["spec"]["ports"] == port);
    CHECK(svc["spec"]["selector"] == k.selector);
  }
  CHECK(DefaultServices(Example(Json::parse(R"({"managed": {"services": {"disabledDefaultServices": ["ro"]}}})"))) ==
        std::vector<ServiceKind>{ServiceKind::kRw, ServiceKind::kR});
}

TEST_CASE("the app Secret carries every key CloudNativePG's does", "[specs][secret]") {
  const std::string pw = "s3cretPassw0rd";
  Json secret = CredentialsSecret(Example(), CredentialsKind::kApp, pw, kSettings);
  CheckOwnedBy(secret);
  CHECK(secret["metadata"]["name"] == "cluster-example-app");
  CHECK(secret["type"] == "kubernetes.io/basic-auth");
  CHECK(secret["metadata"]["labels"]["cnpg.io/userType"] == "app");
  CHECK(secret["metadata"]["labels"]["cnpg.io/reload"] == "true");
  CHECK(secret["stringData"] ==
        Json{{"username", "app"},
             {"user", "app"},
             {"password", pw},
             {"dbname", "app"},
             {"host", "cluster-example-rw"},
             {"port", "5432"},
             {"pgpass", "cluster-example-rw:5432:app:app:" + pw + "\n"},
             {"uri", "postgresql://app:" + pw + "@cluster-example-rw.default:5432/app"},
             {"jdbc-uri", "jdbc:postgresql://cluster-example-rw.default:5432/app?password=" + pw + "&user=app"},
             {"fqdn-uri", "postgresql://app:" + pw + "@cluster-example-rw.default.svc.cluster.local:5432/app"},
             {"fqdn-jdbc-uri",
              "jdbc:postgresql://cluster-example-rw.default.svc.cluster.local:5432/app?password=" + pw + "&user=app"}});
}

TEST_CASE("the superuser Secret is for postgres on any database", "[specs][secret]") {
  Json secret =
      CredentialsSecret(Example({{"enableSuperuserAccess", true}}), CredentialsKind::kSuperuser, "pw", kSettings);
  CHECK(secret["metadata"]["name"] == "cluster-example-superuser");
  CHECK(secret["metadata"]["labels"]["cnpg.io/userType"] == "superuser");
  const Json& d = secret["stringData"];
  CHECK(d["username"] == "postgres");
  CHECK(d["dbname"] == "*");
  CHECK(d["pgpass"] == "cluster-example-rw:5432:*:postgres:pw\n");
  CHECK(d["uri"] == "postgresql://postgres:pw@cluster-example-rw.default:5432/*");
}

TEST_CASE("credentials with URI or .pgpass metacharacters stay parseable", "[specs][secret]") {
  api::Cluster c = Example(Json::parse(R"({"bootstrap": {"initdb": {"database": "shop", "owner": "ann:o@x",
      "secret": {"name": "shop-creds"}}}})"));
  Json secret = CredentialsSecret(c, CredentialsKind::kApp, "p/w:1", kSettings);
  CHECK(secret["metadata"]["name"] == "shop-creds");
  const Json& d = secret["stringData"];
  CHECK(d["username"] == "ann:o@x");
  CHECK(d["pgpass"] == "cluster-example-rw:5432:shop:ann\\:o@x:p/w\\:1\n");
  CHECK(d["uri"] == "postgresql://ann%3Ao%40x:p%2Fw%3A1@cluster-example-rw.default:5432/shop");
  CHECK(d["jdbc-uri"] == "jdbc:postgresql://cluster-example-rw.default:5432/shop?password=p%2Fw%3A1&user=ann%3Ao%40x");
}

TEST_CASE("the server certificate names every Service a client may dial", "[specs][tls]") {
  api::Cluster c = Example(Json::parse(R"({"certificates": {"serverAltDNSNames": ["pg.example.com"]}})"));
  std::vector<std::string> expected;
  for (const char* svc : {"cluster-example-rw", "cluster-example-ro", "cluster-example-r"}) {
    const std::string s = svc;
    for (const std::string& n : {s, s + ".default", s + ".default.svc", s + ".default.svc.cluster.local"}) {
      expected.push_back(n);
    }
  }
  expected.push_back("pg.example.com");
  CHECK(ServerCertificateDnsNames(c, kSettings) == expected);
  tls::CertificateRequest request = ServerCertificateRequest(c, kSettings);
  CHECK(request.common_name == "cluster-example-rw");
  CHECK(request.usage == tls::Usage::kServer);
  CHECK(request.dns_names == expected);

  // The request is one the PKI signs, and the certificate says what was asked.
  const WallTime now = std::chrono::system_clock::from_time_t(1772323200);
  auto ca = tls::CreateCa("cluster-example", now);
  REQUIRE(ca.ok());
  auto server = tls::IssueCertificate(*ca, request, now);
  REQUIRE(server.ok());
  auto info = tls::ParseCertificate(server->certificate);
  REQUIRE(info.ok());
  CHECK(info->dns_names == expected);
  auto replication = tls::IssueCertificate(*ca, ReplicationCertificateRequest(), now);
  REQUIRE(replication.ok());
  auto rinfo = tls::ParseCertificate(replication->certificate);
  REQUIRE(rinfo.ok());
  CHECK(rinfo->common_name == "streaming_replica");
  CHECK(rinfo->client_auth);
}

TEST_CASE("disabled and additional Services change the server certificate's names", "[specs][tls]") {
  api::Cluster c = Example(Json::parse(R"({"managed": {"services": {"disabledDefaultServices": ["ro", "r"],
      "additional": [{"selectorType": "rw", "serviceTemplate": {"metadata": {"name": "pg-public"}}}]}}})"));
  CHECK(ServerCertificateDnsNames(c, kSettings) ==
        std::vector<std::string>{"cluster-example-rw", "cluster-example-rw.default", "cluster-example-rw.default.svc",
                                 "cluster-example-rw.default.svc.cluster.local", "pg-public", "pg-public.default",
                                 "pg-public.default.svc", "pg-public.default.svc.cluster.local"});
  OperatorSettings other_domain = kSettings;
  other_domain.cluster_domain = "k8s.internal";
  CHECK(ServerCertificateDnsNames(Example(), other_domain)[3] == "cluster-example-rw.default.svc.k8s.internal");
}

TEST_CASE("the three TLS Secrets", "[specs][tls]") {
  const tls::CertifiedKey pem{"CERT", "KEY"};
  Json ca = TlsSecret(Example(), TlsSecretKind::kCa, pem, kSettings);
  CheckOwnedBy(ca);
  CHECK(ca["metadata"]["name"] == "cluster-example-ca");
  CHECK(ca["type"] == "Opaque");
  CHECK(ca["stringData"] == Json{{"ca.crt", "CERT"}, {"ca.key", "KEY"}});
  Json server = TlsSecret(Example(), TlsSecretKind::kServer, pem, kSettings);
  CHECK(server["metadata"]["name"] == "cluster-example-server");
  CHECK(server["type"] == "kubernetes.io/tls");
  CHECK(server["stringData"] == Json{{"tls.crt", "CERT"}, {"tls.key", "KEY"}});
  Json replication = TlsSecret(Example(), TlsSecretKind::kReplication, pem, kSettings);
  CHECK(replication["metadata"]["name"] == "cluster-example-replication");
  CHECK(replication["type"] == "kubernetes.io/tls");
  CHECK(replication["metadata"]["labels"]["cnpg.io/reload"] == "true");
}

TEST_CASE("the instances' ServiceAccount, Role and RoleBinding", "[specs][rbac]") {
  api::Cluster c = Example(Json::parse(R"({"imagePullSecrets": [{"name": "regcred"}],
      "serviceAccountTemplate": {"metadata": {"labels": {"team": "db"},
                                              "annotations": {"eks.amazonaws.com/role-arn": "arn:x"}}}})"));
  auto sa = InstanceServiceAccount(c, kSettings);
  REQUIRE(sa.has_value());
  CheckOwnedBy(*sa);
  CHECK((*sa)["metadata"]["name"] == "cluster-example");
  CHECK((*sa)["metadata"]["labels"]["team"] == "db");
  CHECK((*sa)["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == "arn:x");
  CHECK((*sa)["imagePullSecrets"] == Json::parse(R"([{"name": "regcred"}])"));

  Json role = InstanceRole(c, kSettings);
  CheckOwnedBy(role);
  CHECK(role["apiVersion"] == "rbac.authorization.k8s.io/v1");
  CHECK(role["metadata"]["name"] == "cluster-example");
  CHECK(role["rules"] == Json::parse(R"([
      {"apiGroups": ["postgresql.cnpg.io"], "resources": ["clusters"], "verbs": ["get", "list", "watch"],
       "resourceNames": ["cluster-example"]},
      {"apiGroups": ["postgresql.cnpg.io"], "resources": ["clusters/status"], "verbs": ["get", "patch", "update"],
       "resourceNames": ["cluster-example"]},
      {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"],
       "resourceNames": ["cluster-example-app", "cluster-example-ca", "cluster-example-replication",
                         "cluster-example-server"]},
      {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]}])"));

  Json binding = InstanceRoleBinding(c, kSettings);
  CheckOwnedBy(binding);
  CHECK(binding["roleRef"] ==
        Json{{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Role"}, {"name", "cluster-example"}});
  CHECK(binding["subjects"] ==
        Json::parse(R"([{"kind": "ServiceAccount", "name": "cluster-example", "namespace": "default"}])"));
}

TEST_CASE("the Role reaches the superuser, user certificate and backup Secrets when the Cluster uses them",
          "[specs][rbac]") {
  api::Cluster c = Example(Json::parse(R"({"enableSuperuserAccess": true,
      "certificates": {"serverCASecret": "my-ca", "serverTLSSecret": "my-tls"},
      "backup": {"barmanObjectStore": {"destinationPath": "s3://b/",
          "s3Credentials": {"accessKeyId": {"name": "aws", "key": "ID"}, "secretAccessKey": {"name": "aws", "key": "KEY"}},
          "endpointCA": {"name": "minio-ca", "key": "ca.crt"}}}})"));
  CHECK(InstanceRole(c, kSettings)["rules"][2]["resourceNames"] ==
        Json{"aws", "cluster-example-app", "cluster-example-ca", "cluster-example-replication",
             "cluster-example-superuser", "minio-ca", "my-ca", "my-tls"});
}

TEST_CASE("a custom serviceAccountName is bound, not created", "[specs][rbac]") {
  api::Cluster c = Example({{"serviceAccountName", "pg-runner"}});
  CHECK_FALSE(InstanceServiceAccount(c, kSettings).has_value());
  CHECK(InstanceServiceAccountName(c) == "pg-runner");
  CHECK(InstanceRole(c, kSettings)["metadata"]["name"] == "cluster-example");
  CHECK(InstanceRoleBinding(c, kSettings)["subjects"][0]["name"] == "pg-runner");
}

TEST_CASE("disruption budgets follow the instance count", "[specs][pdb]") {
  auto budgets = PodDisruptionBudgets(Example(), kSettings);
  REQUIRE(budgets.size() == 2);
  CheckOwnedBy(budgets[0]);
  CHECK(budgets[0]["apiVersion"] == "policy/v1");
  CHECK(budgets[0]["metadata"]["name"] == "cluster-example-primary");
  CHECK(budgets[0]["spec"] == Json::parse(R"({"minAvailable": 1, "selector": {"matchLabels":
      {"cnpg.io/cluster": "cluster-example", "cnpg.io/instanceRole": "primary"}}})"));
  CHECK(budgets[1]["metadata"]["name"] == "cluster-example");
  CHECK(budgets[1]["spec"] == Json::parse(R"({"minAvailable": 1, "selector": {"matchLabels":
      {"cnpg.io/cluster": "cluster-example", "cnpg.io/instanceRole": "replica"}}})"));

  CHECK(PodDisruptionBudgets(Example({{"instances", 5}}), kSettings)[1]["spec"]["minAvailable"] == 3);
  for (int n : {1, 2}) {
    INFO(n << " instances: no replica budget");
    auto only = PodDisruptionBudgets(Example({{"instances", n}}), kSettings);
    REQUIRE(only.size() == 1);
    CHECK(only[0]["metadata"]["name"] == "cluster-example-primary");
  }
  CHECK(PodDisruptionBudgets(Example({{"enablePDB", false}}), kSettings).empty());
}

TEST_CASE("node maintenance with reusePVC lifts the budgets that would block the drain", "[specs][pdb]") {
  const Json maintenance = {{"nodeMaintenanceWindow", {{"inProgress", true}}}};
  auto three = PodDisruptionBudgets(Example(maintenance), kSettings);
  REQUIRE(three.size() == 1);
  CHECK(three[0]["metadata"]["name"] == "cluster-example-primary");
  Json single = maintenance;
  single["instances"] = 1;
  CHECK(PodDisruptionBudgets(Example(single), kSettings).empty());
  Json no_reuse = {{"nodeMaintenanceWindow", {{"inProgress", true}, {"reusePVC", false}}}};
  CHECK(PodDisruptionBudgets(Example(no_reuse), kSettings).size() == 2);
}

}  // namespace
}  // namespace tusk::op::specs
