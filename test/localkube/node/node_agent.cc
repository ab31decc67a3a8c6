#include "test/localkube/node/node_agent.h"

#include <sys/statvfs.h>
#include <sys/utsname.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "common/base/files.h"
#include "test/localkube/node/api_object_source.h"

namespace tusk::localkube {
namespace {

using nlohmann::json;

constexpr auto kPollSlice = std::chrono::milliseconds(200);
constexpr auto kRetryAfterError = std::chrono::seconds(1);
constexpr int kConflictRetries = 5;
constexpr char kLeases[] = "leases.coordination.k8s.io";
constexpr char kLeaseNamespace[] = "kube-node-lease";

NodeFacts GatherFacts(const KubeletConfig& kc) {
  NodeFacts f;
  f.name = kc.node_name;
  f.internal_ip = kc.host_ip;
  f.cpus = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  int64_t value = 0;
  while (meminfo >> key >> value) {
    if (key == "MemTotal:") f.memory_kib = value;
    meminfo.ignore(256, '\n');
  }
  struct statvfs fs {};
  if (::statvfs(kc.state_dir.c_str(), &fs) == 0) {
    f.storage_kib = static_cast<int64_t>(fs.f_blocks) * static_cast<int64_t>(fs.f_frsize) / 1024;
  }
  struct utsname uts {};
  if (::uname(&uts) == 0) f.kernel_version = uts.release;
  std::string boot = ReadFile("/proc/sys/kernel/random/boot_id").value_or("");
  while (!boot.empty() && boot.back() == '\n') boot.pop_back();
  f.boot_id = boot;
  return f;
}

std::string Uid(const json& o) { return o.value("/metadata/uid"_json_pointer, std::string()); }
std::string Ns(const json& o) { return o.value("/metadata/namespace"_json_pointer, std::string()); }
std::string Name(const json& o) { return o.value("/metadata/name"_json_pointer, std::string()); }

std::vector<std::string> ContainerNames(const json& pod) {
  std::vector<std::string> names;
  for (const char* list : {"initContainers", "containers"}) {
    const json& spec = pod.contains("spec") ? pod["spec"] : json::object();
    if (!spec.contains(list) || !spec[list].is_array()) continue;
    for (const auto& c : spec[list]) names.push_back(c.value("name", ""));
  }
  return names;
}

}  // namespace

class NodeAgent::StatusWriter final : public PodStatusSink {
 public:
  explicit StatusWriter(NodeAgent* agent) : agent_(agent) {}
  void OnPodStatus(const std::string& ns, const std::string& name, const std::string& uid,
                   const nlohmann::json& status) override {
    agent_->OnPodStatus(ns, name, uid, status);
  }

 private:
  NodeAgent* agent_;
};

NodeAgent::NodeAgent(Api* api, Clock& clock, net::BridgeNetwork& bridge, ObjectSource& objects, ProbeRunner& probes,
                     NodeAgentConfig config)
    : api_(api),
      clock_(clock),
      config_(std::move(config)),
      facts_(GatherFacts(config_.kubelet)),
      log_("localkube-node", {{"node", config_.kubelet.node_name}}),
      network_(bridge),
      sink_(std::make_unique<StatusWriter>(this)),
      kubelet_(std::make_unique<Kubelet>(config_.kubelet, WorkerDeps{clock, objects, network_, probes, *sink_})) {}

NodeAgent::~NodeAgent() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  // Teardown is a power cut too: nothing more is written to the API.
  talking_ = false;
  kubelet_->KillAll();
  ReapDeletions(true);
  kubelet_.reset();
}

Status NodeAgent::Start() {
  RETURN_IF_ERROR(Register());
  thread_ = std::thread([this] { Run(); });
  return OkStatus();
}

Status NodeAgent::Register() {
  json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", kLeaseNamespace}}}};
  auto created = api_->Create("namespaces", "", ns);
  if (!created.ok() && created.error().code != 409) return FromApiError(created.error());
  Heartbeat();
  auto node = api_->Get("nodes", "", name());
  if (!node.ok()) return FromApiError(node.error()).WithContext("registering node " + name());
  auto lease = api_->Get(kLeases, kLeaseNamespace, name());
  if (!lease.ok()) return FromApiError(lease.error()).WithContext("creating the lease of node " + name());
  return OkStatus();
}

void NodeAgent::Heartbeat() {
  const std::string now = FormatRfc3339(clock_.WallNow());
  std::string node_uid;
  for (int attempt = 0; attempt < kConflictRetries; ++attempt) {
    auto node = api_->Get("nodes", "", name());
    if (!node.ok() && node.error().code == 404) {
      auto created = api_->Create("nodes", "", NodeObject(facts_, now));
      if (created.ok()) node_uid = Uid(created->object);
      if (created.ok() || created.error().code != 409) break;
      continue;
    }
    if (!node.ok()) {
      log_.Warn("cannot read the node", {{"error", node.error().message}});
      break;
    }
    json updated = *node;
    updated["status"] = NodeStatus(facts_, (*node)["status"], now);
    node_uid = Uid(updated);
    auto written = api_->UpdateStatus("nodes", "", updated);
    if (written.ok() || written.error().code != 409) {
      if (!written.ok()) log_.Warn("cannot post the node status", {{"error", written.error().message}});
      break;
    }
  }
  for (int attempt = 0; attempt < kConflictRetries; ++attempt) {
    const std::string renew = FormatRfc3339Micro(clock_.WallNow());  // a Lease's MicroTime
    auto lease = api_->Get(kLeases, kLeaseNamespace, name());
    if (!lease.ok() && lease.error().code == 404) {
      auto created = api_->Create(kLeases, kLeaseNamespace, NodeLease(name(), node_uid, renew));
      if (created.ok() || created.error().code != 409) break;
      continue;
    }
    if (!lease.ok()) break;
    json renewed = *lease;
    renewed["spec"].update(NodeLease(name(), node_uid, renew)["spec"]);
    auto written = api_->Update(kLeases, kLeaseNamespace, name(), renewed);
    if (written.ok() || written.error().code != 409) {
      if (!written.ok()) log_.Warn("cannot renew the node lease", {{"error", written.error().message}});
      break;
    }
  }
}

void NodeAgent::Run() {
  ChannelPtr channel;
  std::string last_rv;
  next_beat_ = clock_.Now() + config_.heartbeat_interval;
  while (!stop_) {
    const bool relist = resync_.exchange(false);
    if (relist || !channel || channel->closed()) {
      if (channel) channel->Close();
      channel = OpenWatch(last_rv, relist);
      if (!channel) {
        if (relist) resync_ = true;
        const MonoTime until = clock_.Now() + kRetryAfterError;
        while (!stop_ && clock_.Now() < until) clock_.SleepFor(std::chrono::milliseconds(50));
        continue;
      }
    }
    const auto until_beat = std::chrono::duration_cast<std::chrono::milliseconds>(next_beat_ - clock_.Now());
    auto event = channel->Pop(std::clamp(until_beat, std::chrono::milliseconds(1), kPollSlice));
    if (event) {
      if (event->rv > 0) last_rv = std::to_string(event->rv);
      HandleEvent(event->type, *event->object);
    }
    ReapDeletions(false);
    if (clock_.Now() >= next_beat_) {
      if (talking()) Heartbeat();
      next_beat_ = clock_.Now() + config_.heartbeat_interval;
    }
  }
  if (channel) channel->Close();
}

ChannelPtr NodeAgent::OpenWatch(std::string& last_rv, bool relist) {
  ListOptions opts;
  opts.field_selector = "spec.nodeName=" + name();
  if (!relist && !last_rv.empty()) {
    // Resume where the watch broke off; 410 means that point is gone from
    // the history and only a fresh list is complete.
    opts.resource_version = last_rv;
    auto resumed = api_->Watch("pods", "", opts);
    if (resumed.ok()) return *resumed;
    if (resumed.error().code != 410) {
      log_.Warn("cannot watch pods", {{"error", resumed.error().message}});
      return nullptr;
    }
  }
  auto rv = Relist();
  if (!rv.ok()) {
    log_.Warn("cannot list pods", {{"error", rv.status().message()}});
    return nullptr;
  }
  last_rv = *rv;
  opts.resource_version = last_rv;
  auto watched = api_->Watch("pods", "", opts);
  if (!watched.ok()) {
    log_.Warn("cannot watch pods", {{"error", watched.error().message}});
    return nullptr;
  }
  if (talking()) {
    // After a partition: what the API missed meanwhile, at once. The
    // heartbeat first, so the node lifecycle sees the node back before it
    // sees the pods' statuses rewritten.
    Heartbeat();
    next_beat_ = clock_.Now() + config_.heartbeat_interval;
    std::vector<std::string> uids;
    {
      std::lock_guard<std::mutex> lock(reports_mu_);
      for (const auto& [uid, r] : reports_) uids.push_back(uid);
    }
    for (const auto& uid : uids) WriteStatus(uid);
  }
  return *watched;
}

void NodeAgent::HandleEvent(EventType type, const json& pod) {
  if (type == EventType::kAdded || type == EventType::kModified) {
    Reconcile(pod);
    // Someone else changed the status (the node lifecycle marks pods of an
    // unreachable node not ready): put back what this node observes, as
    // the kubelet's status manager does. A no-op when they agree.
    if (type == EventType::kModified && talking()) WriteStatus(Uid(pod));
    return;
  }
  if (type != EventType::kDeleted) return;
  bool running;
  {
    std::lock_guard<std::mutex> lock(mu_);
    running = pods_.count(Uid(pod)) > 0;
  }
  // Gone from the API (a forced delete): the containers go too, once the
  // node hears of it (after a partition, the resync's relist).
  if (running && talking()) StartStop(Uid(pod), Ns(pod), Name(pod), std::nullopt, false);
}

StatusOr<std::string> NodeAgent::Relist() {
  ListOptions opts;
  opts.field_selector = "spec.nodeName=" + name();
  auto list = api_->List("pods", "", opts);
  if (!list.ok()) return FromApiError(list.error());
  std::set<std::string> listed;
  for (const auto& pod : (*list)["items"]) {
    listed.insert(Uid(pod));
    Reconcile(pod);
  }
  std::vector<std::pair<std::string, PodRef>> gone;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [uid, ref] : pods_) {
      if (!listed.count(uid) && !deletions_.count(uid)) gone.emplace_back(uid, ref);
    }
  }
  for (const auto& [uid, ref] : gone) StartStop(uid, ref.ns, ref.name, std::nullopt, false);
  return (*list)["metadata"].value("resourceVersion", "");
}

void NodeAgent::Reconcile(const json& pod) {
  const std::string uid = Uid(pod);
  if (uid.empty()) return;
  if (pod.contains("/metadata/deletionTimestamp"_json_pointer)) {
    // Behind a partition a pod keeps running as it would behind a real cut
    // (an isolated primary stays up); the resync after heal stops it.
    if (!talking()) return;
    std::optional<int64_t> grace;
    if (auto g = pod.value("/metadata/deletionGracePeriodSeconds"_json_pointer, json()); g.is_number_integer()) {
      grace = g.get<int64_t>();
    }
    StartStop(uid, Ns(pod), Name(pod), grace, true);
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (powered_off_ || pods_.count(uid) || deletions_.count(uid)) return;
  // A pod that already finished is history, not something to run again
  // (after a restart of localkube, say).
  const std::string phase = pod.value("/status/phase"_json_pointer, std::string());
  if (phase == "Succeeded" || phase == "Failed") return;
  Status started = kubelet_->SyncPod(pod);
  if (!started.ok()) {
    log_.Warn("cannot run pod", {{"namespace", Ns(pod)}, {"pod", Name(pod)}, {"error", started.message()}});
    return;
  }
  pods_[uid] = PodRef{Ns(pod), Name(pod), ContainerNames(pod)};
}

void NodeAgent::StartStop(const std::string& uid, const std::string& ns, const std::string& name,
                          std::optional<int64_t> grace, bool delete_from_api) {
  std::lock_guard<std::mutex> lock(mu_);
  if (powered_off_ || deletions_.count(uid)) return;
  auto done = std::make_shared<std::atomic<bool>>(false);
  // A graceful stop blocks for up to the grace period; it gets its own
  // thread so the node keeps serving its other pods meanwhile.
  std::thread thread([this, uid, ns, name, grace, delete_from_api, done] {
    kubelet_->DeletePod(uid, grace).IgnoreError();  // NotFound: it never ran here
    {
      std::lock_guard<std::mutex> reports_lock(reports_mu_);
      reports_.erase(uid);
    }
    {
      std::lock_guard<std::mutex> pods_lock(mu_);
      pods_.erase(uid);
    }
    // While partitioned the object stays; the resync after heal finishes it.
    if (delete_from_api && talking()) DeleteFromApi(ns, name, uid);
    *done = true;
  });
  deletions_[uid] = Deletion{std::move(thread), done};
}

void NodeAgent::ReapDeletions(bool all) {
  std::vector<Deletion> finished;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = deletions_.begin(); it != deletions_.end();) {
      if (all || *it->second.done) {
        finished.push_back(std::move(it->second));
        it = deletions_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& d : finished) d.thread.join();
}

void NodeAgent::DeleteFromApi(const std::string& ns, const std::string& name, const std::string& uid) {
  DeleteOptions opts;
  opts.grace_period_seconds = 0;
  opts.precondition_uid = uid;
  auto deleted = api_->Delete("pods", ns, name, opts);
  if (!deleted.ok() && deleted.error().code != 404 && deleted.error().code != 409) {
    log_.Warn("cannot delete pod", {{"namespace", ns}, {"pod", name}, {"error", deleted.error().message}});
  }
}

void NodeAgent::OnPodStatus(const std::string& ns, const std::string& name, const std::string& uid,
                            const json& status) {
  {
    std::lock_guard<std::mutex> lock(reports_mu_);
    PodReport& r = reports_[uid];
    r.ns = ns;
    r.name = name;
    r.status = status;
    if (!r.writing) r.writing = std::make_shared<std::mutex>();
  }
  if (talking()) WriteStatus(uid);
}

void NodeAgent::WriteStatus(const std::string& uid) {
  std::shared_ptr<std::mutex> writing;
  {
    std::lock_guard<std::mutex> lock(reports_mu_);
    auto it = reports_.find(uid);
    if (it == reports_.end()) return;
    writing = it->second.writing;
  }
  std::lock_guard<std::mutex> write_lock(*writing);
  for (int attempt = 0; attempt < kConflictRetries; ++attempt) {
    PodReport report;
    {
      // The latest report, read under the pod's write lock: a write never
      // replaces a newer status with an older one.
      std::lock_guard<std::mutex> lock(reports_mu_);
      auto it = reports_.find(uid);
      if (it == reports_.end()) return;
      report = it->second;
    }
    if (!talking()) return;
    auto pod = api_->Get("pods", report.ns, report.name);
    if (!pod.ok() || Uid(*pod) != uid) return;  // gone, or a new pod under the same name
    json current = pod->contains("status") ? (*pod)["status"] : json::object();
    json merged = MergePodStatus(current, report.status);
    if (merged == current) return;
    json updated = *pod;
    updated["status"] = std::move(merged);
    auto written = api_->UpdateStatus("pods", report.ns, updated);
    if (written.ok()) return;
    if (written.error().code != 409) {
      log_.Warn("cannot write pod status",
                {{"namespace", report.ns}, {"pod", report.name}, {"error", written.error().message}});
      return;
    }
  }
}

StatusOr<std::string> NodeAgent::PodUid(const std::string& ns, const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string found;
  for (const auto& [uid, ref] : pods_) {
    if (ref.ns != ns || ref.name != name) continue;
    found = uid;
    if (!deletions_.count(uid)) break;  // the live one over one being stopped
  }
  if (found.empty()) return NotFoundError("pod " + ns + "/" + name + " is not running on node " + this->name());
  return found;
}

Status NodeAgent::KillContainer(const std::string& ns, const std::string& pod, const std::string& container,
                                int sig) {
  ASSIGN_OR_RETURN(std::string uid, PodUid(ns, pod));
  std::vector<std::string> containers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pods_.find(uid);
    if (it != pods_.end()) containers = it->second.containers;
  }
  if (!container.empty()) {
    if (std::find(containers.begin(), containers.end(), container) == containers.end()) {
      return NotFoundError("container " + container + " is not valid for pod " + ns + "/" + pod);
    }
    return kubelet_->SignalContainer(uid, container, sig);
  }
  int signalled = 0;
  for (const auto& c : containers) {
    if (kubelet_->SignalContainer(uid, c, sig).ok()) ++signalled;
  }
  if (signalled == 0) return NotFoundError("pod " + ns + "/" + pod + " has no running container");
  return OkStatus();
}

Status NodeAgent::PartitionPod(const std::string& ns, const std::string& pod) {
  ASSIGN_OR_RETURN(std::string uid, PodUid(ns, pod));
  return network_.PartitionPod(uid);
}

Status NodeAgent::HealPod(const std::string& ns, const std::string& pod) {
  ASSIGN_OR_RETURN(std::string uid, PodUid(ns, pod));
  return network_.HealPod(uid);
}

StatusOr<std::string> NodeAgent::LogPath(const std::string& ns, const std::string& pod, const std::string& container,
                                         bool previous) const {
  ASSIGN_OR_RETURN(std::string uid, PodUid(ns, pod));
  return kubelet_->LogPath(uid, container, previous);
}

Status NodeAgent::Partition() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (powered_off_) return FailedPreconditionError("node " + name() + " is down");
  }
  talking_ = false;
  return network_.PartitionNode();
}

Status NodeAgent::Heal() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (powered_off_) return FailedPreconditionError("node " + name() + " is down");
  }
  Status healed = network_.HealNode();
  talking_ = true;
  resync_ = true;
  return healed;
}

Status NodeAgent::PowerOff() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (powered_off_) return OkStatus();
    powered_off_ = true;
  }
  talking_ = false;
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  kubelet_->KillAll();
  std::lock_guard<std::mutex> lock(mu_);
  pods_.clear();
  return OkStatus();
}

}  // namespace tusk::localkube
