#include "test/localkube/runtime/pod_spec.h"

namespace tusk::localkube {
namespace {

using nlohmann::json;

std::vector<std::string> Strings(const json& j) {
  std::vector<std::string> out;
  if (j.is_array()) {
    for (const auto& s : j) out.push_back(s.get<std::string>());
  }
  return out;
}

std::optional<ProbeSpec> ParseProbe(const json& j) {
  if (!j.is_object()) return std::nullopt;
  ProbeSpec p;
  if (j.contains("exec")) {
    p.kind = ProbeSpec::Kind::kExec;
    p.command = Strings(j["exec"].value("command", json::array()));
  } else if (j.contains("httpGet")) {
    const json& h = j["httpGet"];
    p.kind = ProbeSpec::Kind::kHttpGet;
    p.path = h.value("path", "/");
    p.scheme = h.value("scheme", "HTTP");
    p.host = h.value("host", "");
    p.port = h.value("port", json());
  } else if (j.contains("tcpSocket")) {
    p.kind = ProbeSpec::Kind::kTcpSocket;
    p.host = j["tcpSocket"].value("host", "");
    p.port = j["tcpSocket"].value("port", json());
  } else {
    return std::nullopt;
  }
  p.initial_delay_seconds = j.value("initialDelaySeconds", 0);
  p.period_seconds = std::max(1, j.value("periodSeconds", 10));
  p.timeout_seconds = std::max(1, j.value("timeoutSeconds", 1));
  p.success_threshold = std::max(1, j.value("successThreshold", 1));
  p.failure_threshold = std::max(1, j.value("failureThreshold", 3));
  return p;
}

void ReadSecurityContext(const json& sc, std::optional<int64_t>* user, std::optional<int64_t>* group) {
  if (!sc.is_object()) return;
  if (sc.contains("runAsUser")) *user = sc["runAsUser"].get<int64_t>();
  if (sc.contains("runAsGroup")) *group = sc["runAsGroup"].get<int64_t>();
}

ContainerSpec ParseContainer(const json& c) {
  ContainerSpec out;
  out.name = c.value("name", "");
  out.image = c.value("image", "");
  out.command = Strings(c.value("command", json::array()));
  out.args = Strings(c.value("args", json::array()));
  out.env = c.value("env", json::array());
  out.env_from = c.value("envFrom", json::array());
  out.working_dir = c.value("workingDir", "");
  for (const auto& m : c.value("volumeMounts", json::array())) {
    out.volume_mounts.push_back({m.value("name", ""), m.value("mountPath", ""), m.value("subPath", ""),
                                 m.value("readOnly", false)});
  }
  for (const auto& p : c.value("ports", json::array())) {
    out.ports.push_back({p.value("name", ""), p.value("containerPort", 0)});
  }
  out.liveness = ParseProbe(c.value("livenessProbe", json()));
  out.readiness = ParseProbe(c.value("readinessProbe", json()));
  out.startup = ParseProbe(c.value("startupProbe", json()));
  ReadSecurityContext(c.value("securityContext", json()), &out.run_as_user, &out.run_as_group);
  return out;
}

StatusOr<std::vector<ContainerSpec>> ParseContainers(const json& list, const char* field) {
  std::vector<ContainerSpec> out;
  if (list.is_null()) return out;
  if (!list.is_array()) return InvalidArgumentError(std::string("spec.") + field + " must be a list");
  for (const auto& c : list) {
    ContainerSpec spec = ParseContainer(c);
    if (spec.name.empty()) return InvalidArgumentError(std::string("spec.") + field + "[].name is required");
    if (spec.image.empty()) {
      return InvalidArgumentError(std::string("spec.") + field + "[" + spec.name + "].image is required");
    }
    out.push_back(std::move(spec));
  }
  return out;
}

}  // namespace

int64_t PodSpec::UserOf(const ContainerSpec& c) const {
  return c.run_as_user.value_or(run_as_user.value_or(0));
}

int64_t PodSpec::GroupOf(const ContainerSpec& c) const {
  return c.run_as_group.value_or(run_as_group.value_or(0));
}

StatusOr<PodSpec> ParsePod(const json& pod) {
  try {
    PodSpec out;
    const json& meta = pod.at("metadata");
    out.name = meta.value("name", "");
    out.namespace_ = meta.value("namespace", "default");
    out.uid = meta.value("uid", "");
    out.labels = meta.value("labels", json::object());
    out.annotations = meta.value("annotations", json::object());
    if (out.name.empty()) return InvalidArgumentError("metadata.name is required");
    if (out.uid.empty()) return InvalidArgumentError("metadata.uid is required");
    const json& spec = pod.at("spec");
    ASSIGN_OR_RETURN(out.init_containers, ParseContainers(spec.value("initContainers", json()), "initContainers"));
    ASSIGN_OR_RETURN(out.containers, ParseContainers(spec.value("containers", json()), "containers"));
    if (out.containers.empty()) return InvalidArgumentError("spec.containers must name at least one container");
    out.restart_policy = spec.value("restartPolicy", "Always");
    out.termination_grace_period_seconds = spec.value("terminationGracePeriodSeconds", int64_t{30});
    const json sc = spec.value("securityContext", json::object());
    ReadSecurityContext(sc, &out.run_as_user, &out.run_as_group);
    if (sc.contains("fsGroup")) out.fs_group = sc["fsGroup"].get<int64_t>();
    for (const auto& g : sc.value("supplementalGroups", json::array())) out.supplemental_groups.push_back(g.get<int64_t>());
    out.service_account_name = spec.value("serviceAccountName", "default");
    out.node_name = spec.value("nodeName", "");
    out.hostname = spec.value("hostname", out.name);
    out.volumes = spec.value("volumes", json::array());
    return out;
  } catch (const json::exception& e) {
    return InvalidArgumentError(std::string("malformed pod: ") + e.what());
  }
}

StatusOr<int> ResolvePort(const nlohmann::json& port, const ContainerSpec& container) {
  if (port.is_number_integer()) return port.get<int>();
  if (port.is_string()) {
    const std::string name = port.get<std::string>();
    for (const auto& p : container.ports) {
      if (p.name == name) return p.container_port;
    }
    if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos) return std::stoi(name);
    return InvalidArgumentError("container " + container.name + " has no port named \"" + name + "\"");
  }
  return InvalidArgumentError("probe port must be a number or a port name");
}

}  // namespace tusk::localkube
