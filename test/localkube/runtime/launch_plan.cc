#include "test/localkube/runtime/launch_plan.h"

#include "common/base/files.h"

namespace tusk::localkube {

StatusOr<ImageEntry> LoadImage(const KubeletConfig& config, const std::string& image) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(config.image_table_path));
  ASSIGN_OR_RETURN(ImageTable table, ParseImageTable(text, config.build_dir));
  ASSIGN_OR_RETURN(ImageEntry entry, ResolveImage(table, image));
  for (const auto& dir : entry.dirs) {
    if (!PathExists(dir)) {
      return NotFoundError("Failed to pull image \"" + image + "\": its programs directory " + dir +
                           " does not exist");
    }
  }
  return entry;
}

EnvList KubeletEnv(const PodSpec& pod, const ContainerSpec& container, const ImageEntry& image,
                   const KubeletConfig& config) {
  EnvList base = {{"PATH", ImagePath(image)},
                  {"HOSTNAME", pod.hostname},
                  {"HOME", pod.UserOf(container) == 0 ? "/root" : "/"}};
  if (!config.kubernetes_service_host.empty()) {
    const std::string host = config.kubernetes_service_host;
    const std::string port = std::to_string(config.kubernetes_service_port);
    base.insert(base.end(), {{"KUBERNETES_SERVICE_HOST", host},
                             {"KUBERNETES_SERVICE_PORT", port},
                             {"KUBERNETES_SERVICE_PORT_HTTPS", port},
                             {"KUBERNETES_PORT", "tcp://" + host + ":" + port},
                             {"KUBERNETES_PORT_" + port + "_TCP", "tcp://" + host + ":" + port}});
  }
  return base;
}

StatusOr<LaunchSpec> PlanLaunch(const PodSpec& pod, const ContainerSpec& container, const ImageEntry& image,
                                const EnvList& env, const PodVolumes* volumes, const LaunchPlace& place) {
  LaunchSpec ls;
  ls.hostname = pod.hostname;
  ls.netns_path = place.netns_path;
  ls.root_mountpoint = place.pod_dir + "/root/" + container.name;
  ls.host_dirs = image.dirs;
  for (const char* name : {"passwd", "group", "hosts", "hostname", "resolv.conf"}) {
    ls.etc_files.emplace_back(name, place.pod_dir + "/etc/" + name);
  }
  for (const auto& m : container.volume_mounts) {
    const PreparedVolume* v = volumes ? volumes->Find(m.name) : nullptr;
    if (v == nullptr) return InvalidArgumentError("volume \"" + m.name + "\" is not defined in the pod");
    std::string source = v->host_path;
    if (!m.sub_path.empty()) {
      source += "/" + m.sub_path;
      if (!PathExists(source)) RETURN_IF_ERROR(MakeDirs(source));
    }
    // Projected volumes are read-only, as the kubelet mounts them.
    ls.volumes.push_back({source, m.mount_path, m.read_only || v->projected});
  }
  ls.argv = ContainerArgv(container, env);
  std::string path_var;
  for (const auto& [k, v] : env) {
    ls.env.push_back(k + "=" + v);
    if (k == "PATH") path_var = v;
  }
  for (size_t start = 0; start <= path_var.size();) {
    const size_t colon = std::min(path_var.find(':', start), path_var.size());
    if (colon > start) ls.path.push_back(path_var.substr(start, colon - start));
    start = colon + 1;
  }
  ls.working_dir = container.working_dir;
  ls.uid = static_cast<uid_t>(pod.UserOf(container));
  ls.gid = static_cast<gid_t>(pod.GroupOf(container));
  if (pod.fs_group) ls.groups.push_back(static_cast<gid_t>(*pod.fs_group));
  for (int64_t g : pod.supplemental_groups) ls.groups.push_back(static_cast<gid_t>(g));
  ls.log_path = place.pod_dir + "/logs/" + container.name + "/" + std::to_string(place.run) + ".log";
  return ls;
}

}  // namespace tusk::localkube
