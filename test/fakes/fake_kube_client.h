// An in-memory KubeClient with the API server behaviours controllers rely
// on: resourceVersions, optimistic concurrency (Conflict), AlreadyExists and
// NotFound with the server's messages, label/field selectors, paging, merge
// and JSON patches, delete preconditions, and watches with a bounded history
// (Gone when asked for a compacted version). Tests can inject errors, close
// every watch (an API server restart) and compact the history (a forced 410).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "common/k8s/kube_client.h"

namespace tusk::k8s {

class FakeKubeClient final : public KubeClient {
 public:
  FakeKubeClient() = default;

  StatusOr<Json> Get(const ResourceRef& ref) override;
  StatusOr<ListResult> List(const ResourceRef& ref, const ListOptions& options) override;
  StatusOr<Json> Create(const ResourceRef& ref, const Json& object) override;
  StatusOr<Json> Update(const ResourceRef& ref, const Json& object) override;
  StatusOr<Json> Patch(const ResourceRef& ref, PatchType type, const std::string& body,
                       const PatchOptions& options = {}) override;
  Status Delete(const ResourceRef& ref, const DeleteOptions& options = {}) override;
  Status Watch(const ResourceRef& ref, const ListOptions& options, const WatchHandler& handler,
               WatchCanceller* canceller) override;

  // The next call of `verb` ("get", "list", "create", "update", "patch",
  // "delete", "watch") fails with `error`, `times` times.
  void FailNext(const std::string& verb, Status error, int times = 1);
  // Ends every open watch as a server restart would (the stream just closes).
  void CloseWatches();
  // Forgets watch history up to now: a watch from an older version gets 410.
  void CompactHistory();
  // Sends a BOOKMARK carrying the current resourceVersion to open watches.
  void SendBookmark();

  int64_t calls(const std::string& verb) const;
  int open_watches() const;
  std::string resource_version() const;

 private:
  struct Event {
    int64_t rv;
    WatchEvent::Type type;
    std::string collection;  // group/resource
    std::string namespace_;
    std::string object;      // JSON text
  };

  static std::string Collection(const ResourceRef& ref);
  static std::string Key(const ResourceRef& ref, const std::string& ns, const std::string& name);
  Status Injected(const std::string& verb);
  StatusOr<Json> UpdateLocked(const ResourceRef& ref, const Json& object);
  void Record(WatchEvent::Type type, const ResourceRef& ref, const Json& object);
  Status CheckPreconditions(const Json& current, const DeleteOptions& options) const;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  int64_t rv_ = 100;
  int64_t uid_ = 0;
  std::map<std::string, Json> objects_;  // Key() -> object
  std::deque<Event> history_;
  int64_t oldest_rv_ = 0;  // watches from before this get 410
  uint64_t close_generation_ = 0;
  std::map<std::string, std::deque<Status>> failures_;
  std::map<std::string, int64_t> calls_;
  int open_watches_ = 0;
};

}  // namespace tusk::k8s
