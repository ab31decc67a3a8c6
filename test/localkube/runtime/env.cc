#include "test/localkube/runtime/env.h"

#include <map>

namespace tusk::localkube {
namespace {

using nlohmann::json;

void Set(EnvList* env, const std::string& name, const std::string& value) {
  for (auto& [n, v] : *env) {
    if (n == name) {
      v = value;
      return;
    }
  }
  env->emplace_back(name, value);
}

// "metadata.labels['app']" -> ("metadata.labels", "app").
bool SplitSubscript(const std::string& path, std::string* base, std::string* key) {
  auto open = path.find("['");
  if (open == std::string::npos || path.size() < open + 4 || path.substr(path.size() - 2) != "']") return false;
  *base = path.substr(0, open);
  *key = path.substr(open + 2, path.size() - open - 4);
  return true;
}

StatusOr<std::map<std::string, std::string>> SourceValues(ObjectSource& objects, const std::string& ns,
                                                          const std::string& kind, const std::string& name) {
  if (kind == "secret") {
    ASSIGN_OR_RETURN(json secret, objects.GetSecret(ns, name));
    return SecretValues(secret);
  }
  ASSIGN_OR_RETURN(json cm, objects.GetConfigMap(ns, name));
  return ConfigMapValues(cm);
}

// Resolves one secretKeyRef/configMapKeyRef. Returns nullopt for an optional
// reference that does not resolve (the variable is then left out).
StatusOr<std::optional<std::string>> KeyRef(ObjectSource& objects, const std::string& ns, const std::string& kind,
                                            const json& ref) {
  const std::string name = ref.value("name", "");
  const std::string key = ref.value("key", "");
  const bool optional = ref.value("optional", false);
  auto values = SourceValues(objects, ns, kind, name);
  if (!values.ok()) {
    if (optional && values.status().code() == StatusCode::kNotFound) return std::optional<std::string>();
    return values.status();
  }
  auto it = values->find(key);
  if (it == values->end()) {
    if (optional) return std::optional<std::string>();
    return NotFoundError("couldn't find key " + key + " in " + (kind == "secret" ? "Secret " : "ConfigMap ") + ns +
                         "/" + name);
  }
  return std::optional<std::string>(it->second);
}

}  // namespace

StatusOr<std::string> FieldRefValue(const PodSpec& pod, const PodRuntimeFacts& facts, const std::string& path) {
  if (path == "metadata.name") return pod.name;
  if (path == "metadata.namespace") return pod.namespace_;
  if (path == "metadata.uid") return pod.uid;
  if (path == "spec.nodeName") return pod.node_name;
  if (path == "spec.serviceAccountName") return pod.service_account_name;
  if (path == "status.podIP" || path == "status.podIPs") return facts.pod_ip;
  if (path == "status.hostIP" || path == "status.hostIPs") return facts.host_ip;
  std::string base, key;
  if (SplitSubscript(path, &base, &key)) {
    const json* map = base == "metadata.labels" ? &pod.labels : base == "metadata.annotations" ? &pod.annotations : nullptr;
    if (map != nullptr) return map->contains(key) ? (*map)[key].get<std::string>() : std::string();
  }
  return InvalidArgumentError("unsupported fieldRef fieldPath \"" + path + "\"");
}

std::string ExpandVars(const std::string& text, const EnvList& env) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 >= text.size()) {
      out.push_back(text[i]);
      continue;
    }
    if (text[i + 1] == '$') {
      out.push_back('$');
      ++i;
      continue;
    }
    if (text[i + 1] == '(') {
      auto close = text.find(')', i + 2);
      if (close != std::string::npos) {
        const std::string name = text.substr(i + 2, close - i - 2);
        const std::string* value = nullptr;
        for (const auto& [n, v] : env) {
          if (n == name) value = &v;
        }
        if (value != nullptr) {
          out += *value;
          i = close;
          continue;
        }
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

StatusOr<EnvList> ResolveEnv(const PodSpec& pod, const ContainerSpec& container, const PodRuntimeFacts& facts,
                             ObjectSource& objects, const EnvList& base) {
  EnvList env = base;
  try {
    for (const auto& from : container.env_from) {
      const std::string prefix = from.value("prefix", "");
      for (const char* kind : {"secret", "configMap"}) {
        const std::string field = std::string(kind) + "Ref";
        if (!from.contains(field)) continue;
        const json& ref = from[field];
        auto values = SourceValues(objects, pod.namespace_, kind == std::string("secret") ? "secret" : "configmap",
                                   ref.value("name", ""));
        if (!values.ok()) {
          if (ref.value("optional", false) && values.status().code() == StatusCode::kNotFound) continue;
          return values.status();
        }
        for (const auto& [k, v] : *values) Set(&env, prefix + k, v);
      }
    }
    for (const auto& var : container.env) {
      const std::string name = var.value("name", "");
      if (name.empty()) return InvalidArgumentError("env entry without a name in container " + container.name);
      if (var.contains("value")) {
        Set(&env, name, ExpandVars(var["value"].get<std::string>(), env));
        continue;
      }
      const json from = var.value("valueFrom", json::object());
      std::optional<std::string> value;
      if (from.contains("fieldRef")) {
        ASSIGN_OR_RETURN(std::string v, FieldRefValue(pod, facts, from["fieldRef"].value("fieldPath", "")));
        value = v;
      } else if (from.contains("secretKeyRef")) {
        ASSIGN_OR_RETURN(value, KeyRef(objects, pod.namespace_, "secret", from["secretKeyRef"]));
      } else if (from.contains("configMapKeyRef")) {
        ASSIGN_OR_RETURN(value, KeyRef(objects, pod.namespace_, "configmap", from["configMapKeyRef"]));
      } else {
        value = "";
      }
      if (value) Set(&env, name, *value);
    }
  } catch (const json::exception& e) {
    return InvalidArgumentError("malformed env in container " + container.name + ": " + e.what());
  }
  return env;
}

std::vector<std::string> ContainerArgv(const ContainerSpec& container, const EnvList& env) {
  std::vector<std::string> argv;
  for (const auto& s : container.command) argv.push_back(ExpandVars(s, env));
  for (const auto& s : container.args) argv.push_back(ExpandVars(s, env));
  return argv;
}

}  // namespace tusk::localkube
