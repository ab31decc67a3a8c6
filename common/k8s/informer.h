// List-then-watch of one resource type into an ObjectCache: watches resume
// from the last seen resourceVersion (bookmarks keep it fresh), a 410 Gone
// re-lists, network errors reconnect with back-off. Handlers should only
// enqueue keys (see EnqueueKey); one informer never runs two of them at once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/base/clock.h"
#include "common/k8s/kube_client.h"
#include "common/k8s/object_cache.h"
#include "common/k8s/sleeper.h"
#include "common/k8s/workqueue.h"
#include "common/log/log.h"

namespace tusk::k8s {

struct InformerOptions {
  ResourceRef resource;  // namespace_ empty = all namespaces
  std::string label_selector;
  std::string field_selector;  // e.g. "metadata.name=X" for a single object
  int64_t page_size = 500;
  int64_t watch_timeout_seconds = 300;
  Duration min_backoff = std::chrono::milliseconds(200);
  Duration max_backoff = std::chrono::seconds(30);
};

enum class EventKind { kAdd, kUpdate, kDelete };

// `old` is set for updates (and deletes: the last known state).
using EventHandler = std::function<void(EventKind, const CachedObject* old, const CachedObject& current)>;

class Informer {
 public:
  Informer(KubeClient& client, Clock& clock, InformerOptions options);
  ~Informer();
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Safe at any time, from any thread. A handler added after objects are
  // cached first hears an Add for each of them (on the caller's thread, as
  // client-go's late listeners do), then every later event, with no event
  // missed or repeated in between. A handler must not call AddHandler.
  void AddHandler(EventHandler handler);
  void Start();
  // Ends the watch and joins the thread.
  void Stop();

  bool HasSynced() const { return synced_.load(); }
  // Waits (on the real clock of the condition variable) until the first list
  // has landed in the cache, or `timeout` passes.
  bool WaitForSync(std::chrono::milliseconds timeout);

  const ObjectCache& cache() const { return cache_; }
  std::string last_resource_version() const;
  int64_t lists() const { return lists_.load(); }
  int64_t watches() const { return watches_.load(); }

  // Applies one watch event to the cache and runs the handlers; exposed so a
  // benchmark or test can feed events without a server.
  Status ApplyEvent(const WatchEvent& event);

 private:
  void Run();
  Status ListAll();
  Status WatchOnce();
  void Notify(EventKind kind, const CachedObject* old, const CachedObject& current);

  KubeClient& client_;
  Clock& clock_;
  const InformerOptions options_;
  log::Logger log_;
  ObjectCache cache_;
  // Held from a cache change through its notification, and by AddHandler
  // while it replays the cache, so a late handler sees each change once.
  std::mutex dispatch_mu_;
  std::vector<EventHandler> handlers_;  // guarded by dispatch_mu_

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string resource_version_;
  bool stopping_ = false;
  Sleeper sleeper_;
  WatchCanceller* canceller_ = nullptr;
  std::thread thread_;
  std::atomic<bool> synced_{false};
  std::atomic<int64_t> lists_{0}, watches_{0};
};

// A handler that enqueues the object's "namespace/name".
EventHandler EnqueueKey(WorkQueue& queue);
// A handler that enqueues the key of the object's controlling owner of `kind`
// (e.g. Pods -> their Cluster), in the object's namespace.
EventHandler EnqueueControllerOwner(WorkQueue& queue, const std::string& owner_kind);

// One informer per resource and selector per process, shared by every
// controller that asks for it, so each object is cached once.
class InformerFactory {
 public:
  InformerFactory(KubeClient& client, Clock& clock) : client_(client), clock_(clock) {}
  ~InformerFactory();
  Informer& For(const InformerOptions& options);
  void StartAll();
  void StopAll();
  bool WaitForSync(std::chrono::milliseconds timeout);

 private:
  KubeClient& client_;
  Clock& clock_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Informer>> informers_;
};

}  // namespace tusk::k8s
