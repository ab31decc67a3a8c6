// The object store behind localkube's API: every object of every resource in
// memory, one global resourceVersion counter, a bounded history of changes
// for watches (older resourceVersions are Gone), and an append-only journal
// under the state directory so a restart restores the same objects and
// resourceVersions. Knows nothing of HTTP, validation or Kubernetes rules:
// callers decide the new state inside Mutate, under the store's write lock.
#pragma once

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/status.h"
#include "test/localkube/apiserver/errors.h"

namespace tusk::localkube {

using ObjectPtr = std::shared_ptr<const json>;

enum class EventType { kAdded, kModified, kDeleted, kBookmark, kError };
const char* EventTypeName(EventType t);

struct StoreEvent {
  EventType type = EventType::kAdded;
  std::string gr;  // group-resource, e.g. "pods", "deployments.apps"
  std::string ns;
  std::string name;
  uint64_t rv = 0;
  ObjectPtr object;  // new state; for kDeleted the last state (with the deletion's resourceVersion)
  ObjectPtr prev;    // state before the change (kModified, kDeleted)
  // object->dump(), made once per change when someone watches, so a hundred
  // watchers do not serialize the same object a hundred times.
  std::shared_ptr<const std::string> serialized;
};
using EventPtr = std::shared_ptr<const StoreEvent>;

// One watcher's queue. The store pushes events that pass `match` (with the
// transitions Kubernetes applies: an object leaving the filter is DELETED,
// one entering it is ADDED); the consumer pops them.
class WatchChannel {
 public:
  using Match = std::function<bool(const json&)>;
  WatchChannel(std::string gr, std::string ns, Match match) : gr_(std::move(gr)), ns_(std::move(ns)), match_(std::move(match)) {}

  // The next event, or nullopt after `timeout` / when closed.
  std::optional<StoreEvent> Pop(std::chrono::milliseconds timeout);
  void Close();
  bool closed() const;
  // Every event up to this resourceVersion has been queued or filtered out.
  uint64_t seen_rv() const;

  const std::string& gr() const { return gr_; }
  const std::string& ns() const { return ns_; }

 private:
  friend class Store;
  void Offer(const StoreEvent& e);  // applies the filter
  void PushRaw(StoreEvent e);
  void MarkSeen(uint64_t rv);

  std::string gr_, ns_;
  Match match_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<StoreEvent> queue_;
  bool closed_ = false;
  uint64_t seen_rv_ = 0;
};
using ChannelPtr = std::shared_ptr<WatchChannel>;

// What a Mutate callback decides.
struct Mutation {
  enum class Kind { kPut, kDelete, kNoop } kind = Kind::kNoop;
  json object;  // kPut: the new state (resourceVersion is filled in by the store)
};

class Store {
 public:
  explicit Store(size_t history_size = 10000);
  ~Store();

  // Replays `journal_path` (if it exists), then rewrites it compacted and
  // keeps appending to it. Without a call the store is memory-only.
  Status Open(const std::string& journal_path);

  uint64_t current_rv() const;
  // Watches from resourceVersions older than this are Gone.
  uint64_t oldest_watchable_rv() const;

  ObjectPtr Get(const std::string& gr, const std::string& ns, const std::string& name) const;
  // The object with this uid, if stored: {gr, object}.
  std::optional<std::pair<std::string, ObjectPtr>> GetByUid(const std::string& uid) const;

  struct ListResult {
    std::vector<ObjectPtr> items;
    uint64_t rv = 0;
    std::string next_key;  // non-empty when `limit` cut the list
    int64_t remaining = 0;
  };
  // Objects of `gr` in `ns` ("" = all namespaces) in key order, starting at
  // `start_key` ("<ns>/<name>"), passing `match`, at most `limit` (0 = all).
  ListResult List(const std::string& gr, const std::string& ns, const WatchChannel::Match& match, size_t limit = 0,
                  const std::string& start_key = "") const;
  // Every group-resource that holds at least one object in `ns`.
  std::vector<std::string> ResourcesInNamespace(const std::string& ns) const;

  // Runs `fn` with the current object (nullptr if absent) under the write
  // lock and applies its decision: bumps the global resourceVersion, records
  // history, journals and notifies watchers. Returns the stored state (for a
  // delete: the last state with the new resourceVersion; for a no-op: the
  // current object).
  ApiOr<ObjectPtr> Mutate(const std::string& gr, const std::string& ns, const std::string& name,
                          const std::function<ApiOr<Mutation>(const json* current)>& fn);

  // Registers a watcher. from_rv: deliver changes after it (nullopt: start
  // with ADDED events for every current object). Returns kGone when from_rv
  // is older than the kept history.
  StatusOr<ChannelPtr> Watch(const std::string& gr, const std::string& ns, std::optional<uint64_t> from_rv,
                             WatchChannel::Match match);

  // Number of stored objects (all resources).
  size_t size() const;

 private:
  using Bucket = std::map<std::string, ObjectPtr>;  // "<ns>/<name>" -> object
  void Record(std::shared_ptr<StoreEvent> ev);
  void Journal(const StoreEvent& ev);
  Status WriteSnapshot(const std::string& path);

  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Bucket> data_;
  std::unordered_map<std::string, std::pair<std::string, std::string>> by_uid_;  // uid -> {gr, key}
  uint64_t rv_ = 0;
  uint64_t compacted_rv_ = 0;
  size_t history_size_;
  std::deque<EventPtr> history_;
  std::mutex watchers_mu_;
  std::unordered_map<std::string, std::vector<std::weak_ptr<WatchChannel>>> watchers_;
  std::FILE* journal_ = nullptr;
  size_t count_ = 0;
};

}  // namespace tusk::localkube
