// The seam between Tusk and the Kubernetes API: requests on unstructured JSON
// objects named by group/version/resource/namespace/name. HttpKubeClient talks
// to a real API server; test/fakes/fake_kube_client.h keeps objects in memory.
// Errors are Status values: NotFound, AlreadyExists, Conflict, PermissionDenied
// (Forbidden), InvalidArgument (Invalid), Gone (Expired), DeadlineExceeded
// (Timeout), ResourceExhausted (TooManyRequests), keeping the server's message.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/status.h"

namespace tusk::k8s {

using Json = nlohmann::json;

struct ResourceRef {
  std::string group;  // "" for the core group
  std::string version;
  std::string resource;    // plural, e.g. "pods"
  std::string namespace_;  // "" for cluster-scoped or all namespaces
  std::string name;        // "" for collections
  std::string subresource;  // e.g. "status"

  ResourceRef InNamespace(std::string ns) const;
  ResourceRef Named(std::string n) const;
  ResourceRef Status() const;
  // "/api/v1/namespaces/ns/pods/name" etc.
  std::string Path() const;
  // "pods", "leases.coordination.k8s.io": how the API server names the resource.
  std::string GroupResource() const;
};

// Frequently used resource types.
ResourceRef PodsResource();
ResourceRef LeasesResource();
ResourceRef EventsResource();
ResourceRef ConfigMapsResource();
ResourceRef SecretsResource();
ResourceRef CnpgResource(const std::string& plural);  // postgresql.cnpg.io/v1

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  std::string resource_version;
  int64_t limit = 0;
  std::string continue_token;
  int64_t timeout_seconds = 0;  // watch: server closes the stream after this long
  bool allow_bookmarks = false;
};

struct ListResult {
  std::vector<Json> items;
  std::string resource_version;
  std::string continue_token;
};

enum class PatchType { kMerge, kJson, kStrategicMerge, kApply };

struct PatchOptions {
  std::string field_manager;  // required for kApply
  bool force = false;         // apply: take ownership of conflicting fields
};

struct DeleteOptions {
  std::string propagation_policy;  // "", "Foreground", "Background", "Orphan"
  std::optional<int64_t> grace_period_seconds;
  std::optional<std::string> precondition_uid;
  std::optional<std::string> precondition_resource_version;
};

struct WatchEvent {
  enum class Type { kAdded, kModified, kDeleted, kBookmark };
  Type type;
  // The object's JSON text, so a consumer can keep it without building a DOM.
  std::string_view object;
};

// Returning false from the handler ends the watch (Watch then returns OK).
using WatchHandler = std::function<bool(const WatchEvent&)>;

// Lets another thread end a blocking Watch promptly: the client registers a
// hook that closes the connection; Cancel runs it.
class WatchCanceller {
 public:
  void Cancel();
  bool cancelled() const { return cancelled_.load(); }
  // Installs the hook (cleared with nullptr); runs it at once if already cancelled.
  void SetHook(std::function<void()> hook);

 private:
  std::atomic<bool> cancelled_{false};
  std::mutex mu_;
  std::function<void()> hook_;
};

class KubeClient {
 public:
  virtual ~KubeClient() = default;

  virtual StatusOr<Json> Get(const ResourceRef& ref) = 0;
  virtual StatusOr<ListResult> List(const ResourceRef& ref, const ListOptions& options) = 0;
  // `ref.name` is ignored: the name comes from the object (or generateName).
  virtual StatusOr<Json> Create(const ResourceRef& ref, const Json& object) = 0;
  // Replaces the object; metadata.resourceVersion, if set, must be current (else Conflict).
  // With ref.subresource == "status" only the status is written.
  virtual StatusOr<Json> Update(const ResourceRef& ref, const Json& object) = 0;
  virtual StatusOr<Json> Patch(const ResourceRef& ref, PatchType type, const std::string& body,
                               const PatchOptions& options = {}) = 0;
  virtual Status Delete(const ResourceRef& ref, const DeleteOptions& options = {}) = 0;
  // Streams events until the server ends the stream (OK), the handler returns
  // false (OK), the canceller fires (Cancelled) or an error occurs (Gone when
  // the resourceVersion is too old).
  virtual Status Watch(const ResourceRef& ref, const ListOptions& options, const WatchHandler& handler,
                       WatchCanceller* canceller) = 0;

  StatusOr<Json> UpdateStatus(const ResourceRef& ref, const Json& object) { return Update(ref.Status(), object); }
};

// One line of a watch stream (`{"type":"ADDED","object":{...}}`), read
// without building a DOM; `object` points into `line`. An ERROR event becomes
// its Status (Gone for an expired resourceVersion).
StatusOr<WatchEvent> ParseWatchLine(std::string_view line);

// Maps an HTTP error response to a Status: a metav1.Status body keeps its
// message and reason; anything else gets client-go's generic text.
Status StatusFromResponse(int http_code, const std::string& body, const std::string& method);

}  // namespace tusk::k8s
