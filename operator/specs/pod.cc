#include "operator/specs/metadata.h"
#include "operator/specs/pod_parts.h"

namespace tusk::op::specs {
namespace {

// AppArmor profiles are set per container by annotation; the Cluster's pass
// to its pods as CloudNativePG passes them.
constexpr char kAppArmorPrefix[] = "container.apparmor.security.beta.kubernetes.io/";

Json PodSpec(const api::Cluster& cluster, int serial, InstanceBootstrap bootstrap, const OperatorSettings& settings) {
  const api::ClusterSpec& s = cluster.spec;
  Json spec = {
      {"hostname", InstanceName(internal::ClusterName(cluster), serial)},
      {"serviceAccountName", InstanceServiceAccountName(cluster)},
      {"automountServiceAccountToken", false},
      // stopDelay bounds the whole shutdown: smart, then fast, then the kill.
      {"terminationGracePeriodSeconds", s.stop_delay.value_or(1800)},
      {"securityContext", internal::PodSecurityContext(cluster)},
      {"initContainers", Json::array({internal::BootstrapControllerContainer(cluster, settings),
                                      internal::InitContainer(cluster, bootstrap)})},
      {"containers", Json::array({internal::PostgresContainer(cluster)})},
      {"volumes", internal::PodVolumes(cluster, serial, bootstrap)},
  };
  if (Json affinity = internal::PodAffinity(cluster); !affinity.is_null()) spec["affinity"] = std::move(affinity);
  if (s.node_selector) spec["nodeSelector"] = *s.node_selector;
  if (s.tolerations && !s.tolerations->is_null()) spec["tolerations"] = *s.tolerations;
  if (s.topology_spread_constraints && !s.topology_spread_constraints->is_null()) {
    spec["topologySpreadConstraints"] = *s.topology_spread_constraints;
  }
  if (s.scheduler_name) spec["schedulerName"] = *s.scheduler_name;
  if (s.priority_class_name) spec["priorityClassName"] = *s.priority_class_name;
  if (s.image_pull_secrets && !s.image_pull_secrets->is_null()) spec["imagePullSecrets"] = *s.image_pull_secrets;
  return spec;
}

}  // namespace

Json InstancePod(const api::Cluster& cluster, int serial, InstanceBootstrap bootstrap, const std::string& role,
                 const OperatorSettings& settings) {
  const std::string name = InstanceName(internal::ClusterName(cluster), serial);
  Json meta = internal::ObjectMetadata(cluster, name, settings);
  Json& labels = meta["labels"];
  labels[kInstanceNameLabel] = name;
  labels[kPodRoleLabel] = kPodRoleInstance;
  labels[kInstanceRoleLabel] = role;
  labels[kLegacyRoleLabel] = role;
  Json& annotations = meta["annotations"];
  for (const auto& [k, v] : cluster.metadata.annotations.value_or(std::map<std::string, std::string>{})) {
    if (k.rfind(kAppArmorPrefix, 0) == 0) annotations[k] = v;
  }
  annotations[kNodeSerialAnnotation] = std::to_string(serial);
  Json spec = PodSpec(cluster, serial, bootstrap, settings);
  // What this operator meant the pod to be, so a later reconcile can tell a
  // spec change (roll the pod) from the API server's defaulting of it.
  annotations[kPodSpecAnnotation] = spec.dump();
  return {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", std::move(meta)}, {"spec", std::move(spec)}};
}

}  // namespace tusk::op::specs
