#include "test/localkube/runtime/volumes.h"

#include <sys/stat.h>
#include <unistd.h>

#include "common/base/files.h"
#include "test/localkube/runtime/env.h"

namespace tusk::localkube {
namespace {

using nlohmann::json;

bool IsProjected(const json& v) {
  return v.contains("secret") || v.contains("configMap") || v.contains("projected") || v.contains("downwardAPI");
}

// Secret/ConfigMap keys as files: every key, or just `items` (key → path).
Status AddKeyFiles(const std::map<std::string, std::string>& values, const json& source, mode_t default_mode,
                   const std::string& what, std::vector<ProjectedFile>* out) {
  if (source.contains("items")) {
    for (const auto& item : source["items"]) {
      const std::string key = item.value("key", "");
      auto it = values.find(key);
      if (it == values.end()) {
        if (source.value("optional", false)) continue;
        return NotFoundError("couldn't find key " + key + " in " + what);
      }
      out->push_back({item.value("path", key), it->second, static_cast<mode_t>(item.value("mode", int(default_mode)))});
    }
    return OkStatus();
  }
  for (const auto& [key, value] : values) out->push_back({key, value, default_mode});
  return OkStatus();
}

// Returns false when the source is optional and missing.
StatusOr<bool> AddObjectSource(const std::string& kind, const json& source, const PodSpec& pod,
                               ObjectSource& objects, mode_t mode, std::vector<ProjectedFile>* out) {
  const std::string name = kind == "secret" ? source.value("secretName", source.value("name", "")) : source.value("name", "");
  auto object = kind == "secret" ? objects.GetSecret(pod.namespace_, name) : objects.GetConfigMap(pod.namespace_, name);
  if (!object.ok()) {
    if (source.value("optional", false) && object.status().code() == StatusCode::kNotFound) return false;
    return object.status();
  }
  auto values = kind == "secret" ? SecretValues(*object) : ConfigMapValues(*object);
  if (!values.ok()) return values.status();
  RETURN_IF_ERROR(AddKeyFiles(*values, source, mode, (kind == "secret" ? "Secret " : "ConfigMap ") + pod.namespace_ + "/" + name, out));
  return true;
}

Status AddDownwardApi(const json& source, const PodSpec& pod, mode_t mode, std::vector<ProjectedFile>* out) {
  for (const auto& item : source.value("items", json::array())) {
    if (!item.contains("fieldRef")) continue;
    const std::string path = item["fieldRef"].value("fieldPath", "");
    std::string value;
    if (path == "metadata.labels" || path == "metadata.annotations") {
      const json& map = path == "metadata.labels" ? pod.labels : pod.annotations;
      for (const auto& [k, v] : map.items()) value += k + "=\"" + v.get<std::string>() + "\"\n";
    } else {
      ASSIGN_OR_RETURN(value, FieldRefValue(pod, PodRuntimeFacts{}, path));
    }
    out->push_back({item.value("path", ""), value, static_cast<mode_t>(item.value("mode", int(mode)))});
  }
  return OkStatus();
}

}  // namespace

StatusOr<std::vector<ProjectedFile>> ProjectVolume(const json& volume, const PodSpec& pod, ObjectSource& objects) {
  std::vector<ProjectedFile> files;
  try {
    if (volume.contains("secret") || volume.contains("configMap")) {
      const std::string kind = volume.contains("secret") ? "secret" : "configMap";
      const json& source = volume[kind];
      const mode_t mode = source.value("defaultMode", 0644);
      RETURN_IF_ERROR(AddObjectSource(kind == "secret" ? "secret" : "configmap", source, pod, objects, mode, &files).status());
    } else if (volume.contains("downwardAPI")) {
      const json& source = volume["downwardAPI"];
      RETURN_IF_ERROR(AddDownwardApi(source, pod, source.value("defaultMode", 0644), &files));
    } else if (volume.contains("projected")) {
      const json& projected = volume["projected"];
      const mode_t mode = projected.value("defaultMode", 0644);
      for (const auto& source : projected.value("sources", json::array())) {
        if (source.contains("secret")) {
          RETURN_IF_ERROR(AddObjectSource("secret", source["secret"], pod, objects, mode, &files).status());
        } else if (source.contains("configMap")) {
          RETURN_IF_ERROR(AddObjectSource("configmap", source["configMap"], pod, objects, mode, &files).status());
        } else if (source.contains("downwardAPI")) {
          RETURN_IF_ERROR(AddDownwardApi(source["downwardAPI"], pod, mode, &files));
        } else if (source.contains("serviceAccountToken")) {
          const json& sat = source["serviceAccountToken"];
          TokenRequestSpec request{pod.service_account_name, {}, sat.value("expirationSeconds", int64_t{3600}),
                                   pod.name, pod.uid};
          if (!sat.value("audience", "").empty()) request.audiences.push_back(sat.value("audience", ""));
          auto token = objects.RequestToken(pod.namespace_, request);
          if (!token.ok()) return token.status().WithContext("service account token for " + pod.service_account_name);
          files.push_back({sat.value("path", "token"), token->token, mode});
        }
      }
    }
  } catch (const json::exception& e) {
    return InvalidArgumentError("malformed volume " + volume.value("name", std::string("?")) + ": " + e.what());
  }
  return files;
}

StatusOr<PodVolumes> PodVolumes::Prepare(const std::string& pod_dir, const PodSpec& pod, ObjectSource& objects) {
  PodVolumes out;
  out.pod_dir_ = pod_dir;
  for (const auto& v : pod.volumes) {
    const std::string name = v.value("name", "");
    PreparedVolume prepared;
    if (v.contains("emptyDir")) {
      prepared.host_path = pod_dir + "/volumes/empty-dir/" + name;
      RETURN_IF_ERROR(MakeDirs(prepared.host_path));
      // Kubernetes makes emptyDir world-writable so any runAsUser can use it.
      if (::chmod(prepared.host_path.c_str(), 01777) != 0) return ErrnoError("chmod " + prepared.host_path, errno);
    } else if (v.contains("persistentVolumeClaim") || v.contains("hostPath")) {
      if (v.contains("hostPath")) {
        prepared.host_path = v["hostPath"].value("path", "");
      } else {
        auto path = objects.ClaimPath(pod.namespace_, v["persistentVolumeClaim"].value("claimName", ""));
        if (!path.ok()) return path.status().WithContext("volume " + name);
        prepared.host_path = *path;
      }
      RETURN_IF_ERROR(MakeDirs(prepared.host_path));
      if (pod.fs_group) {
        // fsGroupChangePolicy OnRootMismatch: only the root of the volume is
        // made group-owned and group-writable, which is what initdb needs.
        struct stat st{};
        if (::stat(prepared.host_path.c_str(), &st) == 0 && st.st_gid != static_cast<gid_t>(*pod.fs_group)) {
          if (::chown(prepared.host_path.c_str(), static_cast<uid_t>(-1), static_cast<gid_t>(*pod.fs_group)) != 0 ||
              ::chmod(prepared.host_path.c_str(), (st.st_mode & 07777) | 02070) != 0) {
            return ErrnoError("fsGroup on " + prepared.host_path, errno);
          }
        }
      }
    } else if (IsProjected(v)) {
      prepared.projected = true;
      prepared.host_path = pod_dir + "/volumes/projected/" + name;
      ASSIGN_OR_RETURN(auto files, ProjectVolume(v, pod, objects));
      std::optional<gid_t> group;
      if (pod.fs_group) group = static_cast<gid_t>(*pod.fs_group);
      RETURN_IF_ERROR(WriteAtomicDir(prepared.host_path, files, group).status());
    } else {
      return InvalidArgumentError("volume " + name + ": unsupported volume type");
    }
    out.volumes_[name] = prepared;
  }
  return out;
}

StatusOr<std::vector<std::string>> PodVolumes::Refresh(const PodSpec& pod, ObjectSource& objects) {
  std::vector<std::string> changed;
  for (const auto& v : pod.volumes) {
    const std::string name = v.value("name", "");
    auto it = volumes_.find(name);
    if (it == volumes_.end() || !it->second.projected) continue;
    auto files = ProjectVolume(v, pod, objects);
    // A source deleted after the pod started keeps its last content, as in
    // Kubernetes.
    if (!files.ok()) continue;
    std::optional<gid_t> group;
    if (pod.fs_group) group = static_cast<gid_t>(*pod.fs_group);
    ASSIGN_OR_RETURN(bool did, WriteAtomicDir(it->second.host_path, *files, group));
    if (did) changed.push_back(name);
  }
  return changed;
}

const PreparedVolume* PodVolumes::Find(const std::string& name) const {
  auto it = volumes_.find(name);
  return it == volumes_.end() ? nullptr : &it->second;
}

}  // namespace tusk::localkube
