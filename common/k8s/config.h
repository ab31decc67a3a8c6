// Where the API server is and how to authenticate to it: kubeconfig files
// (current context, --kubeconfig / KUBECONFIG) or the in-cluster service
// account, whose token file is re-read whenever the kubelet rotates it.
#pragma once

#include <mutex>
#include <string>

#include "common/base/status.h"

namespace tusk::k8s {

inline constexpr char kServiceAccountDir[] = "/var/run/secrets/kubernetes.io/serviceaccount";

struct KubeConfig {
  std::string server;  // "https://host:port" or "http://host:port"
  std::string ca_pem;  // PEM bundle; empty means the system store
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string token;       // static bearer token
  std::string token_file;  // bearer token read from a file, re-read on change
  bool insecure_skip_tls_verify = false;
  std::string namespace_ = "default";  // the context's (or service account's) namespace
  std::string user_agent = "tusk/0.1";
};

// Parses a kubeconfig document (YAML or JSON). `context` empty means
// current-context. Relative file paths resolve against `base_dir`.
StatusOr<KubeConfig> ParseKubeconfig(const std::string& text, const std::string& base_dir,
                                     const std::string& context = "");
StatusOr<KubeConfig> LoadKubeconfigFile(const std::string& path, const std::string& context = "");

// In-cluster: KUBERNETES_SERVICE_HOST/PORT, token and CA from `sa_dir`.
StatusOr<KubeConfig> LoadInClusterConfig(const std::string& sa_dir = kServiceAccountDir);

// The order kubectl uses: an explicit --kubeconfig, then the first file named
// by $KUBECONFIG (':'-separated; files are not merged), then in-cluster, then
// ~/.kube/config.
StatusOr<KubeConfig> LoadDefaultConfig(const std::string& kubeconfig_flag = "");

// The bearer token to send, re-reading the token file when its inode, size
// or modification time changes (projected tokens are rotated by symlink swap).
class TokenSource {
 public:
  explicit TokenSource(const KubeConfig& config) : token_(config.token), file_(config.token_file) {}
  // Empty when the config has no token.
  std::string Token();
  // Forces a re-read on the next call (after a 401).
  void Invalidate();

 private:
  std::mutex mu_;
  std::string token_;
  std::string file_;
  struct Stamp {
    unsigned long ino = 0;
    long long size = -1, mtime_ns = -1;
    bool operator==(const Stamp&) const = default;
  } stamp_;
};

std::string Base64Decode(const std::string& in);

}  // namespace tusk::k8s
