// Failover decisions, pure: whether the current primary has failed (and the
// evidence), and which standby should replace it (DESIGN.md §3: the most
// advanced by received LSN, then replayed LSN, then name; with
// dataDurability required only one the primary last reported synchronous).
#pragma once

#include <optional>
#include <string>

#include "operator/cluster/observed.h"

namespace tusk::op::cluster {

// Why the current primary is taken as failed, or nullopt while it serves.
// Only positive evidence counts: its pod is gone, its instance reports
// that postgres exited unexpectedly, or its readiness probe fails while its
// status stream is broken too. A primary that is merely slow to answer the
// operator is not failed over (it may still be accepting writes).
std::optional<std::string> PrimaryFailure(const ObservedCluster& observed);

struct Candidate {
  std::string name;
  std::string received_lsn, replayed_lsn;
  // Why the other standbys were passed over, for the Event.
  std::string passed_over;
};
// The standby to promote, or nullopt (with `why`) when none is eligible.
std::optional<Candidate> ChooseCandidate(const ObservedCluster& observed, std::string* why);

}  // namespace tusk::op::cluster
