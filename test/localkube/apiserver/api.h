// localkube's API, in process. This is the interface the kubelet, the
// controllers and the HTTP layer all use, with exactly the semantics an HTTP
// client of kube-apiserver observes:
//
//  * Resources are named by group-resource: "pods", "deployments.apps",
//    "clusters.postgresql.cnpg.io". Namespace "" for cluster-scoped kinds (and
//    for List/Watch across all namespaces).
//  * Every change bumps one global resourceVersion; a write whose result equals
//    the stored object changes nothing (same resourceVersion, no watch event).
//  * Update: a non-empty metadata.resourceVersion must match the stored one
//    (else 409 Conflict); empty means unconditional. With subresource
//    "status" only .status changes (UpdateStatus); for kinds with a status
//    subresource the main resource ignores .status.
//  * Delete: objects with finalizers (or a Foreground/Orphan propagation, or
//    a Pod bound to a node with a grace period) get metadata.deletionTimestamp
//    and stay until their finalizers are removed (a Pod: until the kubelet
//    deletes it again with grace_period_seconds = 0). Namespaces go Terminating
//    and are emptied by the namespace controller (see controllers.h).
//  * Watch delivers ADDED/MODIFIED/DELETED (no initial state when a
//    resourceVersion is given; 410 Expired when it is older than the history).
//    WatchWithCallback runs the callback on its own thread, in order.
//  * Errors are ApiError values carrying the Kubernetes Status (code, reason,
//    message), e.g. 404 NotFound, 409 AlreadyExists/Conflict, 422 Invalid.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/clock.h"
#include "test/localkube/apiserver/errors.h"
#include "test/localkube/apiserver/rbac.h"
#include "test/localkube/apiserver/registry.h"
#include "test/localkube/apiserver/store.h"
#include "test/localkube/apiserver/tokens.h"

namespace tusk::localkube {

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  size_t limit = 0;
  std::string continue_token;
  // Watch: "" or "0" = start with the current state; otherwise changes after it.
  std::string resource_version;
};

struct WriteOptions {
  bool dry_run = false;
  std::string field_manager;  // required for apply patches
  bool force = false;         // server-side apply: take over conflicting fields
  std::string field_validation = "Warn";  // Ignore | Warn | Strict
};

struct DeleteOptions {
  std::string propagation_policy;  // Background (default) | Foreground | Orphan
  std::optional<int64_t> grace_period_seconds;
  std::string precondition_uid;
  std::string precondition_resource_version;
  bool dry_run = false;
};

enum class PatchType { kJson, kMerge, kStrategic, kApply };
std::optional<PatchType> PatchTypeFromContentType(const std::string& content_type);

struct WriteOutcome {
  json object;
  bool created = false;
  std::vector<std::string> warnings;  // "unknown field \"spec.foo\""
};

// A running WatchWithCallback; stops (and joins its thread) when destroyed.
class WatchHandle {
 public:
  WatchHandle(ChannelPtr channel, std::function<void(EventType, const json&)> cb);
  ~WatchHandle();
  WatchHandle(const WatchHandle&) = delete;
  WatchHandle& operator=(const WatchHandle&) = delete;
  void Stop();

 private:
  ChannelPtr channel_;
  std::thread thread_;
};

class Api {
 public:
  Api(Store* store, Registry* registry, const TokenAuthority* tokens);

  // Default namespaces, RBAC roles and bindings, and the resources of
  // stored CRDs. Idempotent; run once after Store::Open.
  ApiOr<bool> Bootstrap();

  ResourcePtr Resolve(const std::string& group_resource) const { return registry_->LookupGr(group_resource); }

  // version "" = the preferred (storage) version.
  ApiOr<json> Get(const std::string& gr, const std::string& ns, const std::string& name,
                  const std::string& version = "") const;
  // A "<Kind>List" object with metadata.resourceVersion (and continue).
  ApiOr<json> List(const std::string& gr, const std::string& ns, const ListOptions& opts,
                   const std::string& version = "") const;
  // The same list as stored objects plus the list's metadata, for callers
  // that serialize without copying (large lists over HTTP).
  struct RawList {
    std::vector<ObjectPtr> items;
    json metadata;
  };
  ApiOr<RawList> ListRaw(const std::string& gr, const std::string& ns, const ListOptions& opts) const;
  ApiOr<WriteOutcome> Create(const std::string& gr, const std::string& ns, json object, const WriteOptions& opts = {});
  ApiOr<WriteOutcome> Update(const std::string& gr, const std::string& ns, const std::string& name, json object,
                             const WriteOptions& opts = {}, const std::string& subresource = "");
  ApiOr<WriteOutcome> UpdateStatus(const std::string& gr, const std::string& ns, json object) {
    std::string name = object["metadata"].value("name", "");
    return Update(gr, ns, name, std::move(object), {}, "status");
  }
  ApiOr<WriteOutcome> Patch(const std::string& gr, const std::string& ns, const std::string& name, PatchType type,
                            const std::string& body, const WriteOptions& opts = {},
                            const std::string& subresource = "");
  // The deleted object (or the object now carrying deletionTimestamp).
  ApiOr<json> Delete(const std::string& gr, const std::string& ns, const std::string& name,
                     const DeleteOptions& opts = {});

  ApiOr<ChannelPtr> Watch(const std::string& gr, const std::string& ns, const ListOptions& opts) const;
  ApiOr<std::unique_ptr<WatchHandle>> WatchWithCallback(const std::string& gr, const std::string& ns,
                                                        const ListOptions& opts,
                                                        std::function<void(EventType, const json&)> callback) const;

  // POST serviceaccounts/<name>/token at `now`: the TokenRequest with
  // status.token, bound to spec.boundObjectRef (a Pod, Secret or Node of
  // the namespace) when given; a warning when the lifetime was shortened.
  ApiOr<WriteOutcome> CreateToken(const std::string& ns, const std::string& name, const json& request, WallTime now);
  // Who a ServiceAccount token stands for at `now`. Nothing when it is not
  // one this server signed and still valid, is not meant for the API
  // server's audience, or its ServiceAccount or bound object is gone (or was
  // deleted over a minute ago): kube-apiserver then answers 401.
  std::optional<UserInfo> AuthenticateToken(const std::string& token, WallTime now) const;

  Store& store() const { return *store_; }
  Registry& registry() const { return *registry_; }

  // Selector-matching predicate for List/Watch, or the 400 error.
  ApiOr<WatchChannel::Match> MakeMatch(const ResourceInfo& r, const ListOptions& opts) const;
  // The object as served at `version` (apiVersion rewritten, CR defaults applied).
  json AsVersion(const ResourceInfo& r, const json& stored, const std::string& version) const;

 private:
  ApiOr<Mutation> DecideCreate(const ResourceInfo& r, const std::string& ns, json& obj, const WriteOptions& opts,
                               std::vector<std::string>* warnings, const json* current);
  ApiOr<Mutation> DecideUpdate(const ResourceInfo& r, const std::string& ns, const std::string& name, json obj,
                               const json& current, const WriteOptions& opts, const std::string& subresource,
                               std::vector<std::string>* warnings);
  ApiOr<json> ValidateCommon(const ResourceInfo& r, const std::string& ns, json& obj, bool create) const;
  ApiOr<bool> ApplySchemaFor(const ResourceInfo& r, json& obj, const WriteOptions& opts,
                             std::vector<std::string>* warnings) const;
  ApiOr<bool> CheckNamespace(const ResourceInfo& r, const std::string& ns) const;
  void AfterWrite(const ResourceInfo& r, const json* before, const json* after, bool deleted);
  ApiOr<WriteOutcome> Write(const ResourceInfo& r, const std::string& ns, const std::string& name, bool dry_run,
                            const std::function<ApiOr<Mutation>(const json*)>& decide, bool* deleted);

  Store* store_;
  Registry* registry_;
  const TokenAuthority* tokens_;
  std::atomic<uint32_t> next_cluster_ip_{10};
};

}  // namespace tusk::localkube
