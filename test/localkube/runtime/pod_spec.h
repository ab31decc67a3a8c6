// The parts of a Kubernetes v1 Pod the kubelet acts on, read once from the
// Pod's JSON into plain structs so the rest of the runtime never digs
// through JSON and a malformed spec is reported in one place.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/status.h"

namespace tusk::localkube {

struct ProbeSpec {
  enum class Kind { kExec, kHttpGet, kTcpSocket };
  Kind kind = Kind::kExec;
  std::vector<std::string> command;  // exec
  std::string path = "/";            // httpGet
  std::string scheme = "HTTP";       // httpGet
  std::string host;                  // httpGet/tcpSocket; empty: the pod IP
  nlohmann::json port;               // number or a container port's name
  int initial_delay_seconds = 0;
  int period_seconds = 10;
  int timeout_seconds = 1;
  int success_threshold = 1;
  int failure_threshold = 3;
};

struct VolumeMount {
  std::string name;
  std::string mount_path;
  std::string sub_path;
  bool read_only = false;
};

struct ContainerPort {
  std::string name;
  int container_port = 0;
};

struct ContainerSpec {
  std::string name;
  std::string image;
  std::vector<std::string> command;
  std::vector<std::string> args;
  nlohmann::json env = nlohmann::json::array();      // v1 EnvVar[]
  nlohmann::json env_from = nlohmann::json::array();  // v1 EnvFromSource[]
  std::string working_dir;
  std::vector<VolumeMount> volume_mounts;
  std::vector<ContainerPort> ports;
  std::optional<ProbeSpec> liveness, readiness, startup;
  std::optional<int64_t> run_as_user, run_as_group;
};

struct PodSpec {
  std::string name, namespace_, uid;
  nlohmann::json labels = nlohmann::json::object();
  nlohmann::json annotations = nlohmann::json::object();
  std::vector<ContainerSpec> init_containers, containers;
  std::string restart_policy = "Always";
  int64_t termination_grace_period_seconds = 30;
  std::optional<int64_t> run_as_user, run_as_group, fs_group;
  std::vector<int64_t> supplemental_groups;
  std::string service_account_name = "default";
  std::string node_name;
  std::string hostname;  // spec.hostname, else the pod's name
  nlohmann::json volumes = nlohmann::json::array();  // v1 Volume[]

  // The user and group a container runs as: its own securityContext, then
  // the pod's, then root.
  int64_t UserOf(const ContainerSpec& c) const;
  int64_t GroupOf(const ContainerSpec& c) const;
};

// Reads a v1 Pod. Errors name the field that is wrong.
StatusOr<PodSpec> ParsePod(const nlohmann::json& pod);

// The number behind a probe's `port`: itself, or the containerPort with that
// name in the container.
StatusOr<int> ResolvePort(const nlohmann::json& port, const ContainerSpec& container);

}  // namespace tusk::localkube
