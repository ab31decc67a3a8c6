// The pieces an instance pod is assembled from, one file each: volumes with
// the mounts that use them, the three containers, scheduling. Internal to
// operator/specs; InstancePod (pod.cc) puts them together.
#pragma once

#include "operator/specs/specs.h"

namespace tusk::op::specs::internal {

enum class ContainerKind { kBootstrapController, kInitdb, kJoin, kPostgres };

ContainerKind InitContainerKind(InstanceBootstrap bootstrap);

// pod_volumes.cc
Json PodVolumes(const api::Cluster& cluster, int serial, InstanceBootstrap bootstrap);
Json VolumeMounts(const api::Cluster& cluster, ContainerKind kind);

// pod_containers.cc
Json BootstrapControllerContainer(const api::Cluster& cluster, const OperatorSettings& settings);
Json InitContainer(const api::Cluster& cluster, InstanceBootstrap bootstrap);
Json PostgresContainer(const api::Cluster& cluster);

// pod_scheduling.cc
// spec.affinity as a pod's affinity (the generated anti-affinity term plus
// the user's additions); null when there is nothing to say.
Json PodAffinity(const api::Cluster& cluster);
// runAsUser/runAsGroup/fsGroup = postgresUID/GID, runAsNonRoot, seccomp;
// spec.podSecurityContext's values win.
Json PodSecurityContext(const api::Cluster& cluster);
// Drop ALL, no privilege escalation, read-only root, seccomp;
// spec.securityContext's values win.
Json ContainerSecurityContext(const api::Cluster& cluster);

}  // namespace tusk::op::specs::internal
