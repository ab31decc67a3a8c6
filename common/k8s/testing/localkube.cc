#include "common/k8s/testing/localkube.h"

#include <unistd.h>

#include <cstdlib>

#include "common/base/subprocess.h"
#include "common/k8s/config.h"

namespace tusk::k8s::testing {

std::string BuiltProgram(const std::string& name) {
  char exe[4096];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return "";
  std::string path(exe, n);
  path = path.substr(0, path.rfind('/'));                   // build/tests
  path = path.substr(0, path.rfind('/')) + "/bin/" + name;  // build/bin/NAME
  return PathExists(path) ? path : "";
}

StatusOr<std::unique_ptr<Localkube>> Localkube::Start(std::vector<std::string> extra_flags) {
  std::string binary;
  if (const char* env = std::getenv("TUSK_LOCALKUBE"); env != nullptr && *env != '\0') {
    binary = env;
  } else {
    binary = BuiltProgram("localkube");
  }
  if (binary.empty() || !PathExists(binary)) {
    return FailedPreconditionError("localkube unavailable: no localkube binary in build/bin (set TUSK_LOCALKUBE)");
  }
  auto dir = TempDir::Make("k8s-it");
  if (!dir.ok()) return dir.status();
  std::unique_ptr<Localkube> lk(new Localkube(std::move(*dir), binary, std::move(extra_flags)));
  Status st = lk->StartServer();
  if (!st.ok()) return FailedPreconditionError("localkube unavailable: " + st.message());
  return lk;
}

Status Localkube::Run(const std::vector<std::string>& args) {
  SubprocessOptions o;
  o.argv = args;
  auto r = RunSubprocess(o, std::chrono::seconds(60));
  if (!r.ok()) return r.status();
  if (r->timed_out) return DeadlineExceededError(args[1] + " timed out");
  if (!r->exit.success()) {
    return InternalError("localkube " + args[1] + ": " + r->exit.Describe() + ": " + r->stderr_data);
  }
  return OkStatus();
}

Status Localkube::StartServer() {
  std::vector<std::string> args = {binary_, "start", "--dir", dir_.path(), "--apiserver-only"};
  if (port_ != 0) {
    args.push_back("--port");
    args.push_back(std::to_string(port_));
  }
  args.insert(args.end(), flags_.begin(), flags_.end());
  RETURN_IF_ERROR(Run(args));
  running_ = true;
  kubeconfig_ = dir_.Sub("kubeconfig");
  ASSIGN_OR_RETURN(KubeConfig config, LoadKubeconfigFile(kubeconfig_));
  port_ = std::atoi(config.server.substr(config.server.rfind(':') + 1).c_str());
  return OkStatus();
}

Status Localkube::Stop() {
  if (!running_) return OkStatus();
  running_ = false;
  return Run({binary_, "stop", "--dir", dir_.path()});
}

Status Localkube::Restart() {
  RETURN_IF_ERROR(Stop());
  return StartServer();
}

Localkube::~Localkube() { Stop().IgnoreError(); }

}  // namespace tusk::k8s::testing
