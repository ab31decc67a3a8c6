// Runs localkube's API server in a temporary directory for integration tests
// and stops it when the object goes away. When the localkube binary is
// missing or cannot start an API server, Start returns an error whose message
// begins with "localkube unavailable" (CTest reports such tests as skipped).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/base/files.h"
#include "common/base/status.h"

namespace tusk::k8s::testing {

class Localkube {
 public:
  static StatusOr<std::unique_ptr<Localkube>> Start(std::vector<std::string> extra_flags = {});
  ~Localkube();

  const std::string& kubeconfig() const { return kubeconfig_; }
  int port() const { return port_; }
  Status Stop();
  // Stops and starts again on the same directory and port (state survives).
  Status Restart();

 private:
  Localkube(TempDir dir, std::string binary, std::vector<std::string> flags)
      : dir_(std::move(dir)), binary_(std::move(binary)), flags_(std::move(flags)) {}
  Status Run(const std::vector<std::string>& args);
  Status StartServer();

  TempDir dir_;
  std::string binary_;
  std::vector<std::string> flags_;
  std::string kubeconfig_;
  int port_ = 0;
  bool running_ = false;
};

// A program built next to the test binary (build/bin/NAME), or "" if absent.
std::string BuiltProgram(const std::string& name);

}  // namespace tusk::k8s::testing
