// Where the manager learns its Cluster (and so its role and configuration).
// In a pod that is its own Cluster object, watched on the API server with the
// pod's ServiceAccount; the file-backed source reads the same object from a
// JSON file and notices edits through inotify, which is how tests and the
// README drive the manager. Both read it one way: api::ClusterFromJson,
// api::ApplyDefaults, api::Validate.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/api/cluster.h"
#include "common/base/clock.h"
#include "common/base/status.h"
#include "common/k8s/informer.h"
#include "common/k8s/kube_client.h"
#include "common/pg/cluster_view.h"
#include "instance-manager/options.h"

namespace tusk::instance {

class DesiredStateSource {
 public:
  virtual ~DesiredStateSource() = default;
  // Readable when the desired state may have changed (for poll); -1 if the
  // source has no such fd and is polled on the loop's tick.
  virtual int fd() const = 0;
  // Consumes pending notifications; true when Read() may differ.
  virtual bool Drain() = 0;
  // The renderer's view of the Cluster.
  virtual StatusOr<pg::ClusterView> Read() = 0;
};

// A source of whole Cluster objects (the file, the API server), whose view
// is derived from the Cluster.
class ClusterSource : public DesiredStateSource {
 public:
  // The Cluster, defaulted and validated.
  virtual StatusOr<api::Cluster> ReadCluster() = 0;
  // Waits until ReadCluster can answer (the API server's first list); a
  // file is always ready.
  virtual Status WaitReady(std::chrono::milliseconds timeout) {
    (void)timeout;
    return OkStatus();
  }
  StatusOr<pg::ClusterView> Read() final;
};

// A Cluster document as the API server (or a file) holds it, through the one
// reader: ClusterFromJson, ApplyDefaults, Validate. A numeric parameter is
// refused here as the API server refuses it (the CRD types them as strings).
StatusOr<api::Cluster> ClusterFromDocument(const nlohmann::json& doc);

class FileDesiredState final : public ClusterSource {
 public:
  static StatusOr<std::unique_ptr<FileDesiredState>> Open(const std::string& path);
  ~FileDesiredState() override;

  int fd() const override { return inotify_fd_; }
  bool Drain() override;
  StatusOr<api::Cluster> ReadCluster() override;

 private:
  FileDesiredState(std::string path, int fd) : path_(std::move(path)), inotify_fd_(fd) {}
  std::string path_;
  int inotify_fd_;
};

// One informer on clusters.postgresql.cnpg.io in the pod's namespace,
// restricted by fieldSelector metadata.name=<cluster> (what a Role with
// resourceNames allows). The informer's cache holds the latest object while
// the API server is unreachable, and the last good Cluster survives its
// deletion, so postgres keeps running on what it was last told.
class KubeDesiredState final : public ClusterSource {
 public:
  // Starts watching at once; the first list lands in the background.
  static StatusOr<std::unique_ptr<KubeDesiredState>> Start(std::shared_ptr<k8s::KubeClient> client, Clock& clock,
                                                           const std::string& namespace_, const std::string& name);
  ~KubeDesiredState() override;

  int fd() const override { return event_fd_; }
  bool Drain() override;
  StatusOr<api::Cluster> ReadCluster() override;
  Status WaitReady(std::chrono::milliseconds timeout) override;

 private:
  KubeDesiredState(std::shared_ptr<k8s::KubeClient> client, Clock& clock, const std::string& namespace_,
                   const std::string& name, int event_fd);

  std::shared_ptr<k8s::KubeClient> client_;
  const std::string key_;  // "namespace/name", as the cache keys it
  int event_fd_;
  k8s::Informer informer_;
  // Loop-thread state: the last Cluster that read well, and its version.
  std::optional<api::Cluster> last_good_;
  std::string last_good_version_;
};

// The source the flags name: --cluster-file, else the API server (in-cluster
// config or --kubeconfig; CLUSTER_NAME/--cluster-name in NAMESPACE/--namespace).
StatusOr<std::unique_ptr<ClusterSource>> OpenDesiredState(const Options& options, Clock& clock);

}  // namespace tusk::instance
