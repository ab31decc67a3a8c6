#include <catch2/catch.hpp>

#include "operator/specs/test_clusters.h"

namespace tusk::op::specs {
namespace {

using testing::Example;
using testing::kSettings;
using testing::Named;
using testing::Names;

Json Pod(const api::Cluster& c, int serial = 1, InstanceBootstrap b = InstanceBootstrap::kInitdb,
         const std::string& role = kRolePrimary) {
  return InstancePod(c, serial, b, role, kSettings);
}

const Json& Container(const Json& pod, const char* list, const char* name) {
  for (const auto& c : pod["spec"][list]) {
    if (c["name"] == name) return c;
  }
  FAIL("no container " << name);
  static Json none;
  return none;
}

// "--flag value" of a command line, or "" when absent.
std::string Flag(const Json& command, const std::string& flag) {
  for (size_t i = 0; i + 1 < command.size(); ++i) {
    if (command[i] == flag) return command[i + 1].get<std::string>();
  }
  return "";
}

std::vector<std::string> MountPaths(const Json& container) {
  std::vector<std::string> out;
  for (const auto& m : container["volumeMounts"])
    out.push_back(m["name"].get<std::string>() + ":" + m["mountPath"].get<std::string>());
  return out;
}

TEST_CASE("cluster-example's first pod: metadata", "[specs][pod]") {
  Json pod = Pod(Example());
  const Json& meta = pod["metadata"];
  CHECK(pod["kind"] == "Pod");
  CHECK(meta["name"] == "cluster-example-1");
  CHECK(meta["namespace"] == "default");
  CHECK(meta["labels"] == Json{{"cnpg.io/cluster", "cluster-example"},
                               {"cnpg.io/instanceName", "cluster-example-1"},
                               {"cnpg.io/podRole", "instance"},
                               {"cnpg.io/instanceRole", "primary"},
                               {"role", "primary"},
                               {"app.kubernetes.io/name", "postgresql"},
                               {"app.kubernetes.io/instance", "cluster-example"},
                               {"app.kubernetes.io/version", "18"},
                               {"app.kubernetes.io/component", "database"},
                               {"app.kubernetes.io/managed-by", "cloudnative-pg"}});
  CHECK(meta["annotations"]["cnpg.io/nodeSerial"] == "1");
  CHECK(meta["annotations"]["cnpg.io/operatorVersion"] == "0.1.0");
  CHECK(Json::parse(meta["annotations"]["cnpg.io/podSpec"].get<std::string>()) == pod["spec"]);
  REQUIRE(meta["ownerReferences"].size() == 1);
  CHECK(meta["ownerReferences"][0] == Json{{"apiVersion", "postgresql.cnpg.io/v1"},
                                           {"kind", "Cluster"},
                                           {"name", "cluster-example"},
                                           {"uid", "uid-1"},
                                           {"controller", true},
                                           {"blockOwnerDeletion", true}});
}

TEST_CASE("cluster-example's first pod: pod-level fields", "[specs][pod]") {
  Json spec = Pod(Example(), 1)["spec"];
  CHECK(spec["hostname"] == "cluster-example-1");
  CHECK(spec["serviceAccountName"] == "cluster-example");
  CHECK(spec["automountServiceAccountToken"] == false);
  CHECK(spec["terminationGracePeriodSeconds"] == 1800);
  CHECK(spec["securityContext"] == Json{{"runAsUser", 26},
                                        {"runAsGroup", 26},
                                        {"fsGroup", 26},
                                        {"runAsNonRoot", true},
                                        {"seccompProfile", {{"type", "RuntimeDefault"}}}});
  CHECK(Names(spec["initContainers"]) == std::vector<std::string>{"bootstrap-controller", "initdb"});
  CHECK(Names(spec["containers"]) == std::vector<std::string>{"postgres"});
  CHECK_FALSE(spec.contains("nodeSelector"));
  CHECK_FALSE(spec.contains("tolerations"));
  CHECK(spec["affinity"] == Json::parse(R"({"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
      {"weight": 100, "podAffinityTerm": {
        "labelSelector": {"matchExpressions": [
          {"key": "cnpg.io/cluster", "operator": "In", "values": ["cluster-example"]},
          {"key": "cnpg.io/podRole", "operator": "In", "values": ["instance"]}]},
        "topologyKey": "kubernetes.io/hostname"}}]}})"));
}

TEST_CASE("cluster-example's first pod: volumes", "[specs][pod]") {
  Json volumes = Pod(Example(), 2)["spec"]["volumes"];
  CHECK(Names(volumes) ==
        std::vector<std::string>{"pgdata", "scratch-data", "shm", "certificates", "app-secret", "kube-api-access"});
  CHECK(Named(volumes, "pgdata")["persistentVolumeClaim"] == Json{{"claimName", "cluster-example-2"}});
  CHECK(Named(volumes, "scratch-data")["emptyDir"] == Json::object());
  CHECK(Named(volumes, "shm")["emptyDir"] == Json{{"medium", "Memory"}});
  CHECK(Named(volumes, "app-secret")["secret"]["secretName"] == "cluster-example-app");
  CHECK(Named(volumes, "certificates")["projected"]["sources"] == Json::parse(R"([
      {"secret": {"name": "cluster-example-ca", "items": [{"key": "ca.crt", "path": "server-ca.crt"}]}},
      {"secret": {"name": "cluster-example-ca", "items": [{"key": "ca.crt", "path": "client-ca.crt"}]}},
      {"secret": {"name": "cluster-example-server", "items": [{"key": "tls.crt", "path": "server.crt"},
                                                              {"key": "tls.key", "path": "server.key"}]}},
      {"secret": {"name": "cluster-example-replication", "items": [
          {"key": "tls.crt", "path": "streaming_replica.crt"}, {"key": "tls.key", "path": "streaming_replica.key"}]}}])"));
  const Json sa = Named(volumes, "kube-api-access")["projected"]["sources"];
  REQUIRE(sa.size() == 3);
  CHECK(sa[0]["serviceAccountToken"]["path"] == "token");
  CHECK(sa[1]["configMap"] ==
        Json::parse(R"({"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]})"));
  CHECK(sa[2]["downwardAPI"]["items"][0]["path"] == "namespace");
}

TEST_CASE("cluster-example's first pod: the containers", "[specs][pod]") {
  Json pod = Pod(Example());
  const Json security = Json::parse(R"({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]},
      "privileged": false, "readOnlyRootFilesystem": true, "runAsNonRoot": true,
      "seccompProfile": {"type": "RuntimeDefault"}})");

  const Json& boot = Container(pod, "initContainers", "bootstrap-controller");
  CHECK(boot["image"] == "ghcr.io/tusk/operator:0.1.0");
  CHECK(boot["command"] == Json{"tusk-operator", "bootstrap", "/controller"});
  CHECK(MountPaths(boot) == std::vector<std::string>{"scratch-data:/controller"});
  CHECK(boot["securityContext"] == security);
  CHECK_FALSE(boot.contains("env"));

  const Json& pg = Container(pod, "containers", "postgres");
  CHECK(pg["image"] == api::kDefaultPostgresImage);
  CHECK(pg["command"] == Json{"/controller/tusk-instance", "run", "--bin-dir", "/usr/lib/postgresql/18/bin",
                              "--socket-dir", "/controller/run", "--log-dir", "/controller/log",
                              "--certificates-source", "/etc/tusk/certificates", "--certificates-dir",
                              "/controller/certificates", "--log-level", "info", "--grpc-address", "0.0.0.0:9090",
                              "--http-address", "0.0.0.0:8000"});
  CHECK(pg["env"] == Json::parse(R"([
      {"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"},
      {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
      {"name": "NAMESPACE", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}},
      {"name": "CLUSTER_NAME", "value": "cluster-example"},
      {"name": "PGPORT", "value": "5432"},
      {"name": "PGHOST", "value": "/controller/run"},
      {"name": "TMPDIR", "value": "/controller/tmp"},
      {"name": "PSQL_HISTORY", "value": "/controller/tmp/.psql_history"}])"));
  CHECK(pg["ports"] == Json::parse(R"([
      {"name": "postgresql", "containerPort": 5432, "protocol": "TCP"},
      {"name": "metrics", "containerPort": 9187, "protocol": "TCP"},
      {"name": "status", "containerPort": 8000, "protocol": "TCP"},
      {"name": "grpc", "containerPort": 9090, "protocol": "TCP"}])"));
  CHECK(pg["startupProbe"] == Json::parse(R"({"httpGet": {"path": "/startupz", "port": 8000, "scheme": "HTTP"},
      "periodSeconds": 1, "timeoutSeconds": 5, "successThreshold": 1, "failureThreshold": 3600})"));
  CHECK(pg["readinessProbe"] == Json::parse(R"({"httpGet": {"path": "/readyz", "port": 8000, "scheme": "HTTP"},
      "periodSeconds": 1, "timeoutSeconds": 5, "successThreshold": 1, "failureThreshold": 3})"));
  CHECK(pg["livenessProbe"] == Json::parse(R"({"httpGet": {"path": "/healthz", "port": 8000, "scheme": "HTTP"},
      "periodSeconds": 10, "timeoutSeconds": 5, "successThreshold": 1, "failureThreshold": 3})"));
  CHECK(MountPaths(pg) == std::vector<std::string>{"scratch-data:/controller", "pgdata:/var/lib/postgresql/data",
                                                   "shm:/dev/shm", "certificates:/etc/tusk/certificates",
                                                   "kube-api-access:/var/run/secrets/kubernetes.io/serviceaccount"});
  CHECK(pg["securityContext"] == security);
  CHECK_FALSE(pg.contains("resources"));

  const Json& init = Container(pod, "initContainers", "initdb");
  CHECK(init["image"] == api::kDefaultPostgresImage);
  CHECK(init["command"][1] == "init");
  CHECK(Flag(init["command"], "--app-password-file") == "/etc/tusk/app/password");
  CHECK(Flag(init["command"], "--superuser-password-file").empty());
  CHECK(Flag(init["command"], "--certificates-source") == "/etc/tusk/certificates");
  CHECK(init["env"] == pg["env"]);
  CHECK(MountPaths(init) == std::vector<std::string>{"scratch-data:/controller", "pgdata:/var/lib/postgresql/data",
                                                     "shm:/dev/shm", "certificates:/etc/tusk/certificates",
                                                     "app-secret:/etc/tusk/app",
                                                     "kube-api-access:/var/run/secrets/kubernetes.io/serviceaccount"});
}

TEST_CASE("a joining replica gets the join init container and no credentials", "[specs][pod]") {
  Json pod = Pod(Example(), 2, InstanceBootstrap::kJoin, kRoleReplica);
  CHECK(pod["metadata"]["labels"]["cnpg.io/instanceRole"] == "replica");
  CHECK(pod["metadata"]["labels"]["role"] == "replica");
  CHECK(pod["metadata"]["annotations"]["cnpg.io/nodeSerial"] == "2");
  CHECK(Names(pod["spec"]["initContainers"]) == std::vector<std::string>{"bootstrap-controller", "join"});
  const Json& join = Container(pod, "initContainers", "join");
  CHECK(join["command"][0] == "/controller/tusk-instance");
  CHECK(join["command"][1] == "join");
  CHECK(Flag(join["command"], "--app-password-file").empty());
  CHECK(Named(pod["spec"]["volumes"], "app-secret").is_null());
  for (const auto& path : MountPaths(join)) CHECK(path.find("/etc/tusk/app") == std::string::npos);
}

TEST_CASE("walStorage adds the pg-wal volume and tells the instance where WAL lives", "[specs][pod]") {
  Json pod = Pod(Example({{"walStorage", {{"size", "2Gi"}}}}), 3);
  CHECK(Named(pod["spec"]["volumes"], "pg-wal")["persistentVolumeClaim"] ==
        Json{{"claimName", "cluster-example-3-wal"}});
  for (const Json* c : {&Container(pod, "containers", "postgres"), &Container(pod, "initContainers", "initdb")}) {
    CHECK(Flag((*c)["command"], "--pg-wal") == "/var/lib/postgresql/wal/pg_wal");
    CHECK(Named((*c)["volumeMounts"], "pg-wal")["mountPath"] == "/var/lib/postgresql/wal");
  }
  CHECK(Named(Container(pod, "initContainers", "bootstrap-controller")["volumeMounts"], "pg-wal").is_null());
  CHECK(Flag(Container(Pod(Example()), "containers", "postgres")["command"], "--pg-wal").empty());
}

TEST_CASE("a custom serviceAccountName is the pod's", "[specs][pod]") {
  Json pod = Pod(Example({{"serviceAccountName", "pg-runner"}}));
  CHECK(pod["spec"]["serviceAccountName"] == "pg-runner");
}

TEST_CASE("enableSuperuserAccess gives initdb, and only initdb, the superuser secret", "[specs][pod]") {
  Json pod = Pod(Example({{"enableSuperuserAccess", true}}));
  CHECK(Named(pod["spec"]["volumes"], "superuser-secret")["secret"]["secretName"] == "cluster-example-superuser");
  const Json& init = Container(pod, "initContainers", "initdb");
  CHECK(Flag(init["command"], "--superuser-password-file") == "/etc/tusk/superuser/password");
  CHECK(Named(init["volumeMounts"], "superuser-secret") ==
        Json{{"name", "superuser-secret"}, {"mountPath", "/etc/tusk/superuser"}, {"readOnly", true}});
  CHECK(Named(Container(pod, "containers", "postgres")["volumeMounts"], "superuser-secret").is_null());
  // A named superuserSecret is the one mounted.
  Json named = Pod(Example({{"enableSuperuserAccess", true}, {"superuserSecret", {{"name", "my-su"}}}}));
  CHECK(Named(named["spec"]["volumes"], "superuser-secret")["secret"]["secretName"] == "my-su");
}

TEST_CASE("the user's env, resources, scheduling and security settings reach the pod", "[specs][pod]") {
  api::Cluster c = Example(Json::parse(R"({
      "imageName": "ghcr.io/cloudnative-pg/postgresql:16.4",
      "imagePullPolicy": "Always",
      "env": [{"name": "TZ", "value": "Europe/Rome"}],
      "envFrom": [{"configMapRef": {"name": "extra"}}],
      "resources": {"requests": {"memory": "1Gi", "cpu": "1"}, "limits": {"memory": "1Gi"}},
      "affinity": {
        "podAntiAffinityType": "required", "topologyKey": "topology.kubernetes.io/zone",
        "nodeSelector": {"disk": "ssd"},
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "pg", "effect": "NoSchedule"}],
        "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["db"]}]}]}},
        "additionalPodAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 50, "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "heavy"}},
                                                "topologyKey": "kubernetes.io/hostname"}}]},
        "additionalPodAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 10, "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "web"}},
                                                "topologyKey": "kubernetes.io/hostname"}}]}},
      "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"}],
      "schedulerName": "custom-scheduler",
      "priorityClassName": "db-critical",
      "imagePullSecrets": [{"name": "regcred"}],
      "podSecurityContext": {"runAsUser": 1000, "supplementalGroups": [5]},
      "securityContext": {"readOnlyRootFilesystem": false},
      "seccompProfile": {"type": "Localhost", "localhostProfile": "pg.json"},
      "ephemeralVolumesSizeLimit": {"shm": "256Mi", "temporaryData": "1Gi"},
      "stopDelay": 120, "startDelay": 30, "logLevel": "debug"
  })"));
  Json pod = Pod(c);
  const Json& spec = pod["spec"];
  const Json& pg = Container(pod, "containers", "postgres");

  CHECK(pg["image"] == "ghcr.io/cloudnative-pg/postgresql:16.4");
  CHECK(Flag(pg["command"], "--bin-dir") == "/usr/lib/postgresql/16/bin");
  CHECK(Flag(pg["command"], "--log-level") == "debug");
  CHECK(pod["metadata"]["labels"]["app.kubernetes.io/version"] == "16");
  CHECK(pg["env"].back() == Json{{"name", "TZ"}, {"value", "Europe/Rome"}});
  CHECK(pg["env"][0]["name"] == "PGDATA");
  CHECK(pg["envFrom"] == Json::parse(R"([{"configMapRef": {"name": "extra"}}])"));
  for (const char* list : {"initContainers", "containers"}) {
    for (const auto& container : spec[list]) {
      INFO(container["name"]);
      CHECK(container["resources"] == *c.spec.resources);
      CHECK(container["imagePullPolicy"] == "Always");
      CHECK(container["securityContext"]["readOnlyRootFilesystem"] == false);
      CHECK(container["securityContext"]["capabilities"] == Json{{"drop", {"ALL"}}});
      CHECK(container["securityContext"]["seccompProfile"]["type"] == "Localhost");
    }
  }
  CHECK(Container(pod, "initContainers", "initdb")["env"].back()["name"] == "TZ");

  CHECK(spec["securityContext"] == Json::parse(R"({"runAsUser": 1000, "runAsGroup": 26, "fsGroup": 26,
      "runAsNonRoot": true, "supplementalGroups": [5],
      "seccompProfile": {"type": "Localhost", "localhostProfile": "pg.json"}})"));
  const Json& anti = spec["affinity"]["podAntiAffinity"];
  REQUIRE(anti["requiredDuringSchedulingIgnoredDuringExecution"].size() == 1);
  CHECK(anti["requiredDuringSchedulingIgnoredDuringExecution"][0]["topologyKey"] == "topology.kubernetes.io/zone");
  REQUIRE(anti["preferredDuringSchedulingIgnoredDuringExecution"].size() == 1);
  CHECK(anti["preferredDuringSchedulingIgnoredDuringExecution"][0]["weight"] == 50);
  CHECK(spec["affinity"]["podAffinity"] == *c.spec.additional_pod_affinity);
  CHECK(spec["affinity"]["nodeAffinity"] == *c.spec.node_affinity);
  CHECK(spec["nodeSelector"] == Json{{"disk", "ssd"}});
  CHECK(spec["tolerations"] == *c.spec.tolerations);
  CHECK(spec["topologySpreadConstraints"] == *c.spec.topology_spread_constraints);
  CHECK(spec["schedulerName"] == "custom-scheduler");
  CHECK(spec["priorityClassName"] == "db-critical");
  CHECK(spec["imagePullSecrets"] == Json::parse(R"([{"name": "regcred"}])"));
  CHECK(spec["terminationGracePeriodSeconds"] == 120);
  CHECK(Named(spec["volumes"], "shm")["emptyDir"] == Json{{"medium", "Memory"}, {"sizeLimit", "256Mi"}});
  CHECK(Named(spec["volumes"], "scratch-data")["emptyDir"] == Json{{"sizeLimit", "1Gi"}});
  CHECK(pg["startupProbe"]["failureThreshold"] == 30);
}

TEST_CASE("probe overrides from spec.probes and livenessProbeTimeout", "[specs][pod]") {
  SECTION("a longer startup period spreads startDelay over fewer attempts") {
    Json pg = Container(Pod(Example({{"probes", {{"startup", {{"periodSeconds", 10}}}}}})), "containers", "postgres");
    CHECK(pg["startupProbe"]["periodSeconds"] == 10);
    CHECK(pg["startupProbe"]["failureThreshold"] == 360);
  }
  SECTION("an explicit failureThreshold wins over startDelay and livenessProbeTimeout") {
    Json pg = Container(Pod(Example(Json::parse(R"({"livenessProbeTimeout": 45, "probes": {
        "startup": {"failureThreshold": 7}, "liveness": {"failureThreshold": 2}}})"))),
                        "containers", "postgres");
    CHECK(pg["startupProbe"]["failureThreshold"] == 7);
    CHECK(pg["livenessProbe"]["failureThreshold"] == 2);
  }
  SECTION("livenessProbeTimeout sets how long a stuck manager lives") {
    Json pg = Container(Pod(Example({{"livenessProbeTimeout", 45}})), "containers", "postgres");
    CHECK(pg["livenessProbe"]["failureThreshold"] == 5);  // ceil(45 / 10)
  }
  SECTION("readiness takes the standard fields and leaves Tusk's extensions to the instance") {
    Json pg = Container(Pod(Example(Json::parse(R"({"probes": {"readiness": {
        "periodSeconds": 3, "timeoutSeconds": 2, "failureThreshold": 4, "initialDelaySeconds": 1,
        "terminationGracePeriodSeconds": 9, "type": "streaming", "maximumLag": "16Mi"}}})"))),
                        "containers", "postgres");
    CHECK(pg["readinessProbe"] == Json::parse(R"({"httpGet": {"path": "/readyz", "port": 8000, "scheme": "HTTP"},
        "periodSeconds": 3, "timeoutSeconds": 2, "successThreshold": 1, "failureThreshold": 4,
        "initialDelaySeconds": 1})"));
  }
}

TEST_CASE("user certificates replace the operator's in the projected volume", "[specs][pod]") {
  Json pod = Pod(Example(Json::parse(R"({"certificates": {"serverCASecret": "my-server-ca",
      "serverTLSSecret": "my-server-tls", "clientCASecret": "my-client-ca",
      "replicationTLSSecret": "my-replication"}})")));
  std::vector<std::string> names;
  const Json volume = Named(pod["spec"]["volumes"], "certificates");
  for (const auto& s : volume["projected"]["sources"]) {
    names.push_back(s["secret"]["name"]);
  }
  CHECK(names == std::vector<std::string>{"my-server-ca", "my-client-ca", "my-server-tls", "my-replication"});
}

TEST_CASE("enablePodAntiAffinity false leaves only what the user asked for", "[specs][pod]") {
  CHECK_FALSE(Pod(Example({{"affinity", {{"enablePodAntiAffinity", false}}}}))["spec"].contains("affinity"));
  Json spec = Pod(Example(Json::parse(R"({"affinity": {"enablePodAntiAffinity": false,
      "nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": []}}})")))["spec"];
  CHECK_FALSE(spec["affinity"].contains("podAntiAffinity"));
  CHECK(spec["affinity"].contains("nodeAffinity"));
}

TEST_CASE("inherited metadata reaches the pod without overriding the operator's labels", "[specs][pod]") {
  OperatorSettings settings = kSettings;
  settings.inherited_labels = {"team*"};
  settings.inherited_annotations = {"example.com/*"};
  api::Cluster c = Example(Json::parse(R"({"inheritedMetadata": {
      "labels": {"env": "prod", "cnpg.io/cluster": "hijack"}, "annotations": {"owner": "dba"}}})"),
                           Json::parse(R"({"labels": {"team": "db", "other": "x"},
      "annotations": {"example.com/ticket": "42", "unrelated": "y",
                      "container.apparmor.security.beta.kubernetes.io/postgres": "runtime/default"}})"));
  Json meta = InstancePod(c, 1, InstanceBootstrap::kInitdb, kRolePrimary, settings)["metadata"];
  CHECK(meta["labels"]["env"] == "prod");
  CHECK(meta["labels"]["team"] == "db");
  CHECK_FALSE(meta["labels"].contains("other"));
  CHECK(meta["labels"]["cnpg.io/cluster"] == "cluster-example");
  CHECK(meta["annotations"]["owner"] == "dba");
  CHECK(meta["annotations"]["example.com/ticket"] == "42");
  CHECK_FALSE(meta["annotations"].contains("unrelated"));
  CHECK(meta["annotations"]["container.apparmor.security.beta.kubernetes.io/postgres"] == "runtime/default");
}

}  // namespace
}  // namespace tusk::op::specs
