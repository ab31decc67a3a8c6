#include "common/k8s/leader_election.h"

#include <cstdio>
#include <ctime>

namespace tusk::k8s {

LeaderElector::LeaderElector(KubeClient& client, Clock& clock, LeaderElectionConfig config,
                             LeaderCallbacks callbacks)
    : client_(client),
      clock_(clock),
      config_(std::move(config)),
      callbacks_(std::move(callbacks)),
      lease_ref_(LeasesResource().InNamespace(config_.namespace_).Named(config_.lease_name)),
      log_("leader-election", {{"lease", config_.namespace_ + "/" + config_.lease_name},
                               {"identity", config_.identity}}),
      sleeper_(clock) {}

LeaderElector::~LeaderElector() { Stop(); }

std::string LeaderElector::observed_leader() const {
  std::lock_guard<std::mutex> lock(mu_);
  return observed_holder_;
}

void LeaderElector::SetLeading(bool leading) {
  if (leading_.exchange(leading) == leading) return;
  log_.Info(leading ? "became leader" : "stopped leading");
  if (leading && callbacks_.on_started_leading) callbacks_.on_started_leading();
  if (!leading && callbacks_.on_stopped_leading) callbacks_.on_stopped_leading();
}

bool LeaderElector::TryAcquireOrRenew() {
  const std::string now_str = FormatRfc3339Micro(clock_.WallNow());
  const int64_t duration_s = std::chrono::duration_cast<std::chrono::seconds>(config_.lease_duration).count();
  auto current = client_.Get(lease_ref_);
  if (!current.ok()) {
    if (current.status().code() != StatusCode::kNotFound) {
      log_.Warn("cannot read lease", {{"error", current.status().ToString()}});
      return false;
    }
    Json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                  {"kind", "Lease"},
                  {"metadata", {{"name", config_.lease_name}, {"namespace", config_.namespace_}}},
                  {"spec",
                   {{"holderIdentity", config_.identity},
                    {"leaseDurationSeconds", duration_s},
                    {"acquireTime", now_str},
                    {"renewTime", now_str},
                    {"leaseTransitions", 0}}}};
    auto created = client_.Create(lease_ref_.Named(""), lease);
    if (!created.ok()) return false;  // someone else created it first
    std::lock_guard<std::mutex> lock(mu_);
    observed_holder_ = config_.identity;
    observed_at_ = last_renew_ = clock_.Now();
    return true;
  }

  Json lease = *current;
  const Json spec = lease.value("spec", Json::object());
  const std::string holder = spec.value("holderIdentity", "");
  const std::string record = holder + "|" + spec.value("renewTime", "") + "|" +
                             lease["metadata"].value("resourceVersion", "");
  const MonoTime now = clock_.Now();
  Duration held_for = config_.lease_duration;
  if (spec.contains("leaseDurationSeconds") && spec["leaseDurationSeconds"].is_number_integer()) {
    held_for = std::chrono::seconds(spec["leaseDurationSeconds"].get<int64_t>());
  }
  bool held_by_other = false;
  bool new_leader = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    new_leader = holder != observed_holder_;
    if (record != observed_record_) {
      observed_record_ = record;
      observed_at_ = now;
    }
    observed_holder_ = holder;
    held_by_other = !holder.empty() && holder != config_.identity && observed_at_ + held_for > now;
  }
  if (held_by_other) {
    if (new_leader && callbacks_.on_new_leader) callbacks_.on_new_leader(holder);
    return false;  // held by someone else and not yet expired
  }
  Json& s = lease["spec"];
  if (holder != config_.identity) {
    s["acquireTime"] = now_str;
    s["leaseTransitions"] = spec.value("leaseTransitions", 0) + (holder.empty() ? 0 : 1);
  }
  s["holderIdentity"] = config_.identity;
  s["leaseDurationSeconds"] = duration_s;
  s["renewTime"] = now_str;
  // The resourceVersion we read makes this a compare-and-swap: a Conflict
  // means another candidate wrote first.
  auto updated = client_.Update(lease_ref_, lease);
  if (!updated.ok()) {
    if (updated.status().code() != StatusCode::kConflict) {
      log_.Warn("cannot update lease", {{"error", updated.status().ToString()}});
    }
    return false;
  }
  std::lock_guard<std::mutex> lock(mu_);
  observed_holder_ = config_.identity;
  observed_record_.clear();
  observed_at_ = last_renew_ = now;
  return true;
}

Status LeaderElector::Release() {
  ASSIGN_OR_RETURN(Json lease, client_.Get(lease_ref_));
  if (lease["spec"].value("holderIdentity", "") != config_.identity) return OkStatus();
  // An empty holder with a one-second duration: the next candidate to look
  // takes over without waiting for expiry.
  lease["spec"]["holderIdentity"] = "";
  lease["spec"]["leaseDurationSeconds"] = 1;
  lease["spec"]["renewTime"] = FormatRfc3339Micro(clock_.WallNow());
  return client_.Update(lease_ref_, lease).status();
}

void LeaderElector::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Run(); });
}

void LeaderElector::Stop() {
  sleeper_.Interrupt();
  if (thread_.joinable()) thread_.join();
}

void LeaderElector::Run() {
  // Acquire: try every retry period until we hold the lease.
  while (!sleeper_.interrupted()) {
    if (TryAcquireOrRenew()) {
      SetLeading(true);
      break;
    }
    if (!sleeper_.SleepFor(config_.retry_period)) return;
  }
  // Renew: keep the lease; give up once renewals have failed for the deadline.
  while (sleeper_.SleepFor(config_.retry_period)) {
    if (TryAcquireOrRenew()) continue;
    const std::string holder = observed_leader();
    if (!holder.empty() && holder != config_.identity) {
      log_.Warn("another candidate holds the lease", {{"holder", holder}});
      SetLeading(false);
      return;
    }
    MonoTime last;
    {
      std::lock_guard<std::mutex> lock(mu_);
      last = last_renew_;
    }
    if (clock_.Now() - last >= config_.renew_deadline) {
      log_.Warn("failed to renew the lease within the renew deadline");
      SetLeading(false);
      return;
    }
  }
  if (leading_.load() && config_.release_on_stop) {
    Status st = Release();
    if (!st.ok()) log_.Warn("cannot release the lease", {{"error", st.ToString()}});
  }
  SetLeading(false);
}

}  // namespace tusk::k8s
