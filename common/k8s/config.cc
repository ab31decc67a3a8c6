#include "common/k8s/config.h"

#include <sys/stat.h>

#include <cctype>
#include <cstdlib>

#include "common/base/files.h"
#include "common/k8s/yaml_json.h"

namespace tusk::k8s {
namespace {

using Json = nlohmann::json;

std::string Str(const Json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

// A named entry from a kubeconfig list (clusters, users, contexts).
const Json* Named(const Json& doc, const char* list, const std::string& name) {
  auto it = doc.find(list);
  if (it == doc.end() || !it->is_array()) return nullptr;
  for (const auto& e : *it) {
    if (Str(e, "name") == name) return &e;
  }
  return nullptr;
}

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return base_dir + "/" + path;
}

// Inline "*-data" (base64) wins over the file variant, as in client-go.
StatusOr<std::string> DataOrFile(const Json& obj, const char* data_key, const char* file_key,
                                 const std::string& base_dir) {
  std::string data = Str(obj, data_key);
  if (!data.empty()) return Base64Decode(data);
  std::string file = Str(obj, file_key);
  if (file.empty()) return std::string();
  auto content = ReadFile(Resolve(base_dir, file));
  if (!content.ok()) return content.status().WithContext(std::string("kubeconfig ") + file_key);
  return *content;
}

std::string DirName(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

std::string Base64Decode(const std::string& in) {
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int bits = 0;
  unsigned buffer = 0;
  for (char c : in) {
    if (c == '=') break;
    auto pos = kAlphabet.find(c);
    if (pos == std::string::npos) continue;  // whitespace and line breaks
    buffer = (buffer << 6) | static_cast<unsigned>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

StatusOr<KubeConfig> ParseKubeconfig(const std::string& text, const std::string& base_dir,
                                     const std::string& context) {
  ASSIGN_OR_RETURN(Json doc, YamlToJson(text));
  if (!doc.is_object()) return InvalidArgumentError("kubeconfig: not a mapping");
  std::string ctx_name = context.empty() ? Str(doc, "current-context") : context;
  if (ctx_name.empty()) return InvalidArgumentError("kubeconfig: no current-context and no context given");
  const Json* ctx = Named(doc, "contexts", ctx_name);
  if (ctx == nullptr) return NotFoundError("kubeconfig: context \"" + ctx_name + "\" not found");
  const Json& ctx_body = (*ctx)["context"];
  const std::string cluster_name = Str(ctx_body, "cluster");
  const Json* cluster = Named(doc, "clusters", cluster_name);
  if (cluster == nullptr) return NotFoundError("kubeconfig: cluster \"" + cluster_name + "\" not found");
  const Json& cl = (*cluster)["cluster"];

  KubeConfig out;
  out.server = Str(cl, "server");
  if (out.server.empty()) return InvalidArgumentError("kubeconfig: cluster \"" + cluster_name + "\" has no server");
  while (!out.server.empty() && out.server.back() == '/') out.server.pop_back();
  auto skip = cl.find("insecure-skip-tls-verify");
  out.insecure_skip_tls_verify = skip != cl.end() && skip->is_boolean() && skip->get<bool>();
  ASSIGN_OR_RETURN(out.ca_pem, DataOrFile(cl, "certificate-authority-data", "certificate-authority", base_dir));
  std::string ns = Str(ctx_body, "namespace");
  if (!ns.empty()) out.namespace_ = ns;

  const std::string user_name = Str(ctx_body, "user");
  if (!user_name.empty()) {
    const Json* user = Named(doc, "users", user_name);
    if (user == nullptr) return NotFoundError("kubeconfig: user \"" + user_name + "\" not found");
    const Json& u = (*user)["user"];
    ASSIGN_OR_RETURN(out.client_cert_pem,
                     DataOrFile(u, "client-certificate-data", "client-certificate", base_dir));
    ASSIGN_OR_RETURN(out.client_key_pem, DataOrFile(u, "client-key-data", "client-key", base_dir));
    out.token = Str(u, "token");
    std::string token_file = Str(u, "tokenFile");
    if (!token_file.empty()) out.token_file = Resolve(base_dir, token_file);
  }
  return out;
}

StatusOr<KubeConfig> LoadKubeconfigFile(const std::string& path, const std::string& context) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status().WithContext("reading kubeconfig");
  auto config = ParseKubeconfig(*text, DirName(path), context);
  if (!config.ok()) return config.status().WithContext(path);
  return config;
}

StatusOr<KubeConfig> LoadInClusterConfig(const std::string& sa_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || port == nullptr || *host == '\0' || *port == '\0') {
    return FailedPreconditionError(
        "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set");
  }
  KubeConfig out;
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6 literal
  out.server = "https://" + h + ":" + port;
  out.token_file = sa_dir + "/token";
  if (!PathExists(out.token_file)) return NotFoundError("service account token " + out.token_file + " is missing");
  auto ca = ReadFile(sa_dir + "/ca.crt");
  if (!ca.ok()) return ca.status().WithContext("service account CA");
  out.ca_pem = *ca;
  auto ns = ReadFile(sa_dir + "/namespace");
  if (ns.ok() && !ns->empty()) {
    out.namespace_ = *ns;
    while (!out.namespace_.empty() && std::isspace(static_cast<unsigned char>(out.namespace_.back()))) {
      out.namespace_.pop_back();
    }
  }
  return out;
}

StatusOr<KubeConfig> LoadDefaultConfig(const std::string& kubeconfig_flag) {
  if (!kubeconfig_flag.empty()) return LoadKubeconfigFile(kubeconfig_flag);
  if (const char* env = std::getenv("KUBECONFIG"); env != nullptr && *env != '\0') {
    std::string list = env;
    size_t start = 0;
    while (start <= list.size()) {
      size_t end = list.find(':', start);
      std::string path = list.substr(start, end == std::string::npos ? std::string::npos : end - start);
      if (!path.empty() && PathExists(path)) return LoadKubeconfigFile(path);
      if (end == std::string::npos) break;
      start = end + 1;
    }
    return NotFoundError("none of the files in KUBECONFIG exist: " + list);
  }
  auto in_cluster = LoadInClusterConfig();
  if (in_cluster.ok()) return in_cluster;
  const char* home = std::getenv("HOME");
  if (home != nullptr && PathExists(std::string(home) + "/.kube/config")) {
    return LoadKubeconfigFile(std::string(home) + "/.kube/config");
  }
  return NotFoundError("no Kubernetes configuration: pass --kubeconfig, set KUBECONFIG or run in a cluster (" +
                       in_cluster.status().message() + ")");
}

std::string TokenSource::Token() {
  std::lock_guard<std::mutex> lock(mu_);
  if (file_.empty()) return token_;
  struct stat st {};
  if (::stat(file_.c_str(), &st) != 0) return token_;  // keep the last good token
  Stamp now{static_cast<unsigned long>(st.st_ino), static_cast<long long>(st.st_size),
            static_cast<long long>(st.st_mtim.tv_sec) * 1'000'000'000LL + st.st_mtim.tv_nsec};
  if (now == stamp_) return token_;
  auto content = ReadFile(file_);
  if (!content.ok()) return token_;
  std::string t = *content;
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  token_ = t;
  stamp_ = now;
  return token_;
}

void TokenSource::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  stamp_ = Stamp{};
}

}  // namespace tusk::k8s
