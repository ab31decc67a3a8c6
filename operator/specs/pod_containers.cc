#include <algorithm>

#include "operator/specs/metadata.h"
#include "operator/specs/pod_parts.h"

namespace tusk::op::specs::internal {
namespace {

// Readiness and startup are probed every second, not every 10 s as in
// CloudNativePG: the Services follow readiness, so a 10 s period would add up
// to 10 s to every failover (the promoted pod joining -rw) and to the time
// until a new instance serves. The probes answer from tusk-instance's memory.
constexpr int kFastProbePeriod = 1;
constexpr int kLivenessPeriod = 10;
constexpr int kProbeTimeout = 5;
constexpr int kProbeFailureThreshold = 3;

Json FieldRefEnv(const char* name, const char* path) {
  return {{"name", name}, {"valueFrom", {{"fieldRef", {{"apiVersion", "v1"}, {"fieldPath", path}}}}}};
}

Json Env(const api::Cluster& cluster) {
  Json env = Json::array({
      {{"name", "PGDATA"}, {"value", kPgData}},
      FieldRefEnv("POD_NAME", "metadata.name"),
      FieldRefEnv("NAMESPACE", "metadata.namespace"),
      {{"name", "CLUSTER_NAME"}, {"value", ClusterName(cluster)}},
      {{"name", "PGPORT"}, {"value", std::to_string(kPostgresPort)}},
      {{"name", "PGHOST"}, {"value", kSocketDir}},
      {{"name", "TMPDIR"}, {"value", kTmpDir}},
      {{"name", "PSQL_HISTORY"}, {"value", std::string(kTmpDir) + "/.psql_history"}},
  });
  // The user's come after ours; the webhook refuses names that would shadow them.
  if (cluster.spec.env && cluster.spec.env->is_array()) {
    for (const auto& e : *cluster.spec.env) env.push_back(e);
  }
  return env;
}

void AddFlag(Json& argv, const char* name, const std::string& value) {
  argv.push_back(name);
  argv.push_back(value);
}

// `tusk-instance <command>` with the in-pod paths every command shares.
Json InstanceCommand(const api::Cluster& cluster, const char* command) {
  Json argv = {kInstanceBinary, command};
  AddFlag(argv, "--bin-dir", "/usr/lib/postgresql/" + std::to_string(PostgresMajor(cluster)) + "/bin");
  AddFlag(argv, "--socket-dir", kSocketDir);
  AddFlag(argv, "--log-dir", kLogDir);
  AddFlag(argv, "--certificates-source", kCertificatesSource);
  AddFlag(argv, "--certificates-dir", kCertificatesDir);
  AddFlag(argv, "--log-level", cluster.spec.log_level.value_or("info"));
  if (HasWalStorage(cluster)) AddFlag(argv, "--pg-wal", kPgWal);
  return argv;
}

// The fields of a container every instance container shares.
Json BaseContainer(const api::Cluster& cluster, const char* name, const std::string& image) {
  Json c = {{"name", name}, {"image", image}, {"securityContext", ContainerSecurityContext(cluster)}};
  if (cluster.spec.image_pull_policy && !cluster.spec.image_pull_policy->empty()) {
    c["imagePullPolicy"] = *cluster.spec.image_pull_policy;
  }
  if (cluster.spec.resources) c["resources"] = *cluster.spec.resources;
  return c;
}

// Adds the user's env and envFrom and the mounts of `kind`.
void AddInstanceEnvironment(const api::Cluster& cluster, ContainerKind kind, Json& c) {
  c["env"] = Env(cluster);
  if (cluster.spec.env_from) c["envFrom"] = *cluster.spec.env_from;
  c["volumeMounts"] = VolumeMounts(cluster, kind);
}

const Json& UserProbe(const api::Cluster& cluster, const char* which) {
  static const Json kNone = Json::object();
  if (!cluster.spec.probes || !cluster.spec.probes->is_object()) return kNone;
  auto it = cluster.spec.probes->find(which);
  return it != cluster.spec.probes->end() && it->is_object() ? *it : kNone;
}

int Ceil(int64_t seconds, int64_t period) {
  return static_cast<int>(std::max<int64_t>(1, (seconds + period - 1) / std::max<int64_t>(1, period)));
}

// An HTTP GET probe on the status port, then spec.probes.<which>'s standard
// fields over it (the type, maximumLag and isolationCheck extensions are the
// instance's to read). `user_threshold`: whether the user set failureThreshold.
Json HttpProbe(const api::Cluster& cluster, const char* which, const char* path, int period, bool* user_threshold) {
  Json p = {{"httpGet", {{"path", path}, {"port", kStatusPort}, {"scheme", "HTTP"}}},
            {"periodSeconds", period},
            {"timeoutSeconds", kProbeTimeout},
            {"successThreshold", 1},
            {"failureThreshold", kProbeFailureThreshold}};
  const Json& user = UserProbe(cluster, which);
  std::vector<const char*> fields = {"initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold",
                                     "failureThreshold"};
  // Kubernetes refuses terminationGracePeriodSeconds on a readiness probe.
  if (std::string(which) != "readiness") fields.push_back("terminationGracePeriodSeconds");
  for (const char* field : fields) {
    auto it = user.find(field);
    if (it != user.end() && it->is_number_integer()) p[field] = *it;
  }
  *user_threshold = user.contains("failureThreshold") && user["failureThreshold"].is_number_integer();
  return p;
}

void AddProbes(const api::Cluster& cluster, Json& container) {
  bool user_threshold = false;
  Json startup = HttpProbe(cluster, "startup", "/startupz", kFastProbePeriod, &user_threshold);
  if (!user_threshold) {
    // startDelay is how long postgres may take to start: spread over the period.
    startup["failureThreshold"] =
        Ceil(cluster.spec.start_delay.value_or(3600), startup["periodSeconds"].get<int64_t>());
  }
  container["startupProbe"] = std::move(startup);
  container["readinessProbe"] = HttpProbe(cluster, "readiness", "/readyz", kFastProbePeriod, &user_threshold);
  Json liveness = HttpProbe(cluster, "liveness", "/healthz", kLivenessPeriod, &user_threshold);
  if (!user_threshold && cluster.spec.liveness_probe_timeout) {
    liveness["failureThreshold"] = Ceil(*cluster.spec.liveness_probe_timeout, liveness["periodSeconds"].get<int64_t>());
  }
  container["livenessProbe"] = std::move(liveness);
}

Json Port(const char* name, int port) { return {{"name", name}, {"containerPort", port}, {"protocol", "TCP"}}; }

}  // namespace

Json BootstrapControllerContainer(const api::Cluster& cluster, const OperatorSettings& settings) {
  Json c = BaseContainer(cluster, "bootstrap-controller", settings.operator_image);
  // The operator image carries tusk-instance; copied into the shared
  // /controller, it lets any stock PostgreSQL image run our PID 1.
  c["command"] = {"tusk-operator", "bootstrap", kControllerDir};
  c["volumeMounts"] = VolumeMounts(cluster, ContainerKind::kBootstrapController);
  return c;
}

Json InitContainer(const api::Cluster& cluster, InstanceBootstrap bootstrap) {
  const ContainerKind kind = InitContainerKind(bootstrap);
  const bool initdb = kind == ContainerKind::kInitdb;
  Json c = BaseContainer(cluster, initdb ? "initdb" : "join", PostgresImage(cluster));
  Json argv = InstanceCommand(cluster, initdb ? "init" : "join");
  if (initdb) {
    AddFlag(argv, "--app-password-file", std::string(kAppSecretMount) + "/password");
    if (cluster.spec.enable_superuser_access.value_or(false)) {
      AddFlag(argv, "--superuser-password-file", std::string(kSuperuserSecretMount) + "/password");
    }
  }
  c["command"] = std::move(argv);
  AddInstanceEnvironment(cluster, kind, c);
  return c;
}

Json PostgresContainer(const api::Cluster& cluster) {
  Json c = BaseContainer(cluster, "postgres", PostgresImage(cluster));
  Json argv = InstanceCommand(cluster, "run");
  AddFlag(argv, "--grpc-address", "0.0.0.0:" + std::to_string(kInstanceGrpcPort));
  AddFlag(argv, "--http-address", "0.0.0.0:" + std::to_string(kStatusPort));
  c["command"] = std::move(argv);
  AddInstanceEnvironment(cluster, ContainerKind::kPostgres, c);
  c["ports"] = Json::array({Port("postgresql", kPostgresPort), Port("metrics", kMetricsPort),
                            Port("status", kStatusPort), Port("grpc", kInstanceGrpcPort)});
  AddProbes(cluster, c);
  return c;
}

}  // namespace tusk::op::specs::internal
