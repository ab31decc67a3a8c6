#include "operator/cluster/failover.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "common/pg/lsn.h"
#include "operator/specs/specs.h"

namespace tusk::op::cluster {
namespace {

uint64_t LsnValue(const std::string& text) {
  auto lsn = pg::Lsn::Parse(text);
  return lsn.ok() ? lsn->value() : 0;
}

const ObservedInstance* Find(const ObservedCluster& o, const std::string& pod) {
  auto serial = specs::SerialOf(*o.cluster.metadata.name, pod);
  if (!serial) return nullptr;
  auto it = o.instances.find(*serial);
  return it == o.instances.end() ? nullptr : &it->second;
}

}  // namespace

std::optional<std::string> PrimaryFailure(const ObservedCluster& o) {
  const std::string primary = o.cluster.status.current_primary.value_or("");
  if (primary.empty()) return std::nullopt;
  const ObservedInstance* i = Find(o, primary);
  if (!i || !i->pod) return "the primary's pod " + primary + " does not exist";
  if (i->pod_terminating) return "the primary's pod " + primary + " is being deleted";
  if (i->report && i->report->connected && i->report->status) {
    const auto& s = *i->report->status;
    // Only an unexpected exit: a planned stop (a restart for a parameter,
    // a rewind) comes back by itself and must not cost a failover.
    if (!s.postgres_running() && s.phase() == pb::PHASE_FAILED) return "postgres exited unexpectedly on " + primary;
    return std::nullopt;
  }
  if (!i->pod_ready && i->report && !i->report->connected) {
    return "the primary " + primary + " is not ready and its status stream is broken (" + i->report->error + ")";
  }
  return std::nullopt;
}

std::optional<Candidate> ChooseCandidate(const ObservedCluster& o, std::string* why) {
  const std::string primary = o.cluster.status.current_primary.value_or("");
  const ObservedInstance* old = Find(o, primary);
  // With required durability only a standby the primary last reported as
  // synchronous is known to hold every acknowledged write.
  const auto& sync = o.cluster.spec.synchronous;
  const bool required = sync && sync->data_durability.value_or("required") == "required" && sync->number.value_or(0) > 0;
  std::set<std::string> synchronous;
  bool known = false;
  if (old && old->report && old->report->status) {
    known = true;
    for (const auto& s : old->report->status->standbys()) {
      if (s.sync_state() == pb::SYNC_STATE_SYNC || s.sync_state() == pb::SYNC_STATE_QUORUM) {
        synchronous.insert(s.application_name());
      }
    }
  }
  std::vector<std::string> fenced;
  if (auto f = api::FencedInstances(o.cluster); f.ok()) fenced = *f;
  const bool all_fenced = std::find(fenced.begin(), fenced.end(), "*") != fenced.end();

  std::optional<Candidate> best;
  std::tuple<uint64_t, uint64_t> best_key{0, 0};
  std::string passed;
  auto pass = [&](const std::string& name, const std::string& reason) {
    passed += (passed.empty() ? "" : "; ") + name + ": " + reason;
  };
  for (const auto& [serial, i] : o.instances) {
    if (i.name == primary) continue;
    if (!i.pod || i.pod_terminating) {
      pass(i.name, "no running pod");
      continue;
    }
    if (!i.report || !i.report->connected || !i.report->status) {
      pass(i.name, "not reporting");
      continue;
    }
    const auto& s = *i.report->status;
    if (!s.postgres_running() || !s.in_recovery()) {
      pass(i.name, "not a running standby");
      continue;
    }
    if (all_fenced || std::find(fenced.begin(), fenced.end(), i.name) != fenced.end()) {
      pass(i.name, "fenced");
      continue;
    }
    if (required && (!known || !synchronous.count(i.name))) {
      pass(i.name, "not known to be synchronous (dataDurability: required)");
      continue;
    }
    auto key = std::make_tuple(LsnValue(s.received_lsn()), LsnValue(s.replayed_lsn()));
    // Ties go to the lower serial: instances iterate in serial order.
    if (!best || key > best_key) {
      if (best) pass(best->name, "behind " + i.name);
      best = Candidate{i.name, s.received_lsn(), s.replayed_lsn(), ""};
      best_key = key;
    } else {
      pass(i.name, "behind " + best->name);
    }
  }
  if (!best) {
    *why = passed.empty() ? "no standby" : passed;
    return std::nullopt;
  }
  best->passed_over = passed;
  return best;
}

}  // namespace tusk::op::cluster
