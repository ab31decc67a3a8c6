// Where the manager learns its Cluster (and so its role and configuration).
// In a pod that is its own Cluster object watched on the API server; the
// file-backed source reads the same object from a JSON file and notices
// edits through inotify, which is how tests drive the manager.
#pragma once

#include <string>

#include "common/base/status.h"
#include "common/pg/cluster_view.h"

namespace tusk::instance {

class DesiredStateSource {
 public:
  virtual ~DesiredStateSource() = default;
  // Readable when the desired state may have changed (for poll); -1 if the
  // source has no such fd and is polled on the loop's tick.
  virtual int fd() const = 0;
  // Consumes pending notifications; true when Read() may differ.
  virtual bool Drain() = 0;
  virtual StatusOr<pg::ClusterView> Read() = 0;
};

class FileDesiredState final : public DesiredStateSource {
 public:
  static StatusOr<std::unique_ptr<FileDesiredState>> Open(const std::string& path);
  ~FileDesiredState() override;

  int fd() const override { return inotify_fd_; }
  bool Drain() override;
  StatusOr<pg::ClusterView> Read() override;

 private:
  FileDesiredState(std::string path, int fd) : path_(std::move(path)), inotify_fd_(fd) {}
  std::string path_;
  int inotify_fd_;
};

}  // namespace tusk::instance
