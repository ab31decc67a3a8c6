#include "instance-manager/desired_state.h"

#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "common/base/files.h"
#include "common/k8s/config.h"
#include "common/k8s/http_kube_client.h"

namespace tusk::instance {

StatusOr<pg::ClusterView> ClusterSource::Read() {
  ASSIGN_OR_RETURN(api::Cluster cluster, ReadCluster());
  return pg::MakeClusterView(cluster);
}

StatusOr<api::Cluster> ClusterFromDocument(const nlohmann::json& doc) {
  ASSIGN_OR_RETURN(api::Cluster cluster, api::ClusterFromJson(doc));
  api::ApplyDefaults(&cluster);
  RETURN_IF_ERROR(api::ValidateStatus(cluster));
  return cluster;
}

StatusOr<std::unique_ptr<FileDesiredState>> FileDesiredState::Open(const std::string& path) {
  if (path.empty()) return InvalidArgumentError("--cluster-file is required (the Cluster object as JSON)");
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return ErrnoError("inotify_init1", errno);
  // Watch the directory: editors and WriteFileAtomic replace the file by
  // rename, which a watch on the file itself would miss.
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::filesystem::path dir = parent.empty() ? std::filesystem::path(".") : parent;
  if (::inotify_add_watch(fd, dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MODIFY) < 0) {
    int e = errno;
    ::close(fd);
    return ErrnoError("inotify_add_watch " + dir.string(), e);
  }
  return std::unique_ptr<FileDesiredState>(new FileDesiredState(path, fd));
}

FileDesiredState::~FileDesiredState() {
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
}

bool FileDesiredState::Drain() {
  const std::string base = std::filesystem::path(path_).filename().string();
  alignas(inotify_event) char buf[8192];
  bool relevant = false;
  while (true) {
    ssize_t n = ::read(inotify_fd_, buf, sizeof(buf));
    if (n <= 0) break;
    for (char* p = buf; p < buf + n;) {
      auto* ev = reinterpret_cast<inotify_event*>(p);
      if (ev->len > 0 && base == ev->name) relevant = true;
      if (ev->mask & IN_Q_OVERFLOW) relevant = true;
      p += sizeof(inotify_event) + ev->len;
    }
  }
  return relevant;
}

StatusOr<api::Cluster> FileDesiredState::ReadCluster() {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path_));
  auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidArgumentError(path_ + ": not valid JSON");
  auto cluster = ClusterFromDocument(doc);
  if (!cluster.ok()) return cluster.status().WithContext(path_);
  return cluster;
}

namespace {

k8s::InformerOptions ClusterInformerOptions(const std::string& namespace_, const std::string& name) {
  k8s::InformerOptions o;
  o.resource = k8s::CnpgResource(api::Cluster::kResource).InNamespace(namespace_);
  o.field_selector = "metadata.name=" + name;
  return o;
}

}  // namespace

KubeDesiredState::KubeDesiredState(std::shared_ptr<k8s::KubeClient> client, Clock& clock,
                                   const std::string& namespace_, const std::string& name, int event_fd)
    : client_(std::move(client)),
      key_(namespace_ + "/" + name),
      event_fd_(event_fd),
      informer_(*client_, clock, ClusterInformerOptions(namespace_, name)) {
  informer_.AddHandler([fd = event_fd_](k8s::EventKind, const k8s::CachedObject*, const k8s::CachedObject&) {
    uint64_t one = 1;
    // A full counter (never, in practice) still leaves the fd readable.
    ssize_t n = ::write(fd, &one, sizeof(one));
    (void)n;
  });
}

StatusOr<std::unique_ptr<KubeDesiredState>> KubeDesiredState::Start(std::shared_ptr<k8s::KubeClient> client,
                                                                    Clock& clock, const std::string& namespace_,
                                                                    const std::string& name) {
  if (namespace_.empty() || name.empty()) {
    return InvalidArgumentError("the Cluster to watch needs a namespace and a name (NAMESPACE, CLUSTER_NAME)");
  }
  int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) return ErrnoError("eventfd", errno);
  std::unique_ptr<KubeDesiredState> source(new KubeDesiredState(std::move(client), clock, namespace_, name, fd));
  source->informer_.Start();
  return source;
}

KubeDesiredState::~KubeDesiredState() {
  informer_.Stop();  // before the fd its handler writes goes
  ::close(event_fd_);
}

bool KubeDesiredState::Drain() {
  uint64_t count = 0;
  return ::read(event_fd_, &count, sizeof(count)) == static_cast<ssize_t>(sizeof(count)) && count > 0;
}

StatusOr<api::Cluster> KubeDesiredState::ReadCluster() {
  std::optional<k8s::CachedObject> cached = informer_.cache().Get(key_);
  if (!cached) {
    // Deleted, or not listed yet since the API server went away: what we
    // were last told still holds (the operator removes the pod if it must).
    if (last_good_) return *last_good_;
    if (!informer_.HasSynced()) return UnavailableError("Cluster " + key_ + ": no answer from the API server yet");
    return NotFoundError("Cluster " + key_ + " not found");
  }
  if (last_good_ && cached->resource_version == last_good_version_) return *last_good_;
  ASSIGN_OR_RETURN(nlohmann::json doc, cached->Decode());
  auto cluster = ClusterFromDocument(doc);
  if (!cluster.ok()) return cluster.status().WithContext("Cluster " + key_);
  last_good_ = *cluster;
  last_good_version_ = cached->resource_version;
  return cluster;
}

Status KubeDesiredState::WaitReady(std::chrono::milliseconds timeout) {
  if (!informer_.WaitForSync(timeout)) {
    return UnavailableError("Cluster " + key_ + ": the API server did not answer within " +
                            std::to_string(timeout.count() / 1000) + " s");
  }
  return OkStatus();
}

StatusOr<std::unique_ptr<ClusterSource>> OpenDesiredState(const Options& options, Clock& clock) {
  if (!options.cluster_file.empty()) {
    ASSIGN_OR_RETURN(auto file, FileDesiredState::Open(options.cluster_file));
    return std::unique_ptr<ClusterSource>(std::move(file));
  }
  if (!options.api_server) {
    return InvalidArgumentError(
        "no desired state: pass --cluster-file FILE, or --kubeconfig FILE, or run in a pod "
        "(KUBERNETES_SERVICE_HOST set)");
  }
  if (options.cluster_name.empty()) {
    return InvalidArgumentError("the Cluster's name is unknown: set CLUSTER_NAME or pass --cluster-name");
  }
  StatusOr<k8s::KubeConfig> config =
      options.kubeconfig.empty() ? k8s::LoadInClusterConfig() : k8s::LoadKubeconfigFile(options.kubeconfig);
  if (!config.ok()) return config.status().WithContext("API server configuration");
  const std::string namespace_ = options.namespace_.empty() ? config->namespace_ : options.namespace_;
  ASSIGN_OR_RETURN(std::unique_ptr<k8s::HttpKubeClient> client, k8s::HttpKubeClient::Create(*config, clock));
  ASSIGN_OR_RETURN(auto kube, KubeDesiredState::Start(std::shared_ptr<k8s::KubeClient>(std::move(client)), clock,
                                                      namespace_, options.cluster_name));
  return std::unique_ptr<ClusterSource>(std::move(kube));
}

}  // namespace tusk::instance
