// Starts one container: a process that is PID 1 of a fresh PID namespace,
// with its own mount, UTS and IPC namespaces, joined to the pod's network
// namespace, whose root is a private tmpfs holding read-only binds of the
// host's programs, the pod's /etc files and its volumes. Everything mounted
// lives in the container's own mount namespace, so it vanishes with it and
// the host's mount table is never touched.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/base/status.h"

namespace tusk::localkube {

struct LaunchMount {
  std::string source;  // host path (dir or file)
  std::string target;  // path inside the container
  bool read_only = false;
};

struct LaunchSpec {
  std::string hostname;
  std::string netns_path;  // e.g. /run/netns/lk0-p3
  // An empty host directory the container's root tmpfs is mounted on (in
  // the container's mount namespace only).
  std::string root_mountpoint;
  // Host directories made visible at the same path, read-only (image dirs).
  std::vector<std::string> host_dirs;
  // Pod files over /etc (passwd, group, hosts, hostname, resolv.conf), by name.
  std::vector<std::pair<std::string, std::string>> etc_files;
  std::vector<LaunchMount> volumes;
  std::vector<std::string> argv;
  std::vector<std::string> env;   // KEY=VALUE
  std::vector<std::string> path;  // directories searched for argv[0]
  std::string working_dir;        // default "/"
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  std::string log_path;  // stdout and stderr are appended here
};

// Starts the container and returns its PID as the host sees it; the caller
// reaps it with waitpid. Errors before exec (bad mount, missing program,
// failed chdir) come back as a Status naming the step.
StatusOr<pid_t> LaunchContainer(const LaunchSpec& spec);

}  // namespace tusk::localkube
