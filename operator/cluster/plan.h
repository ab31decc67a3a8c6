// The Cluster controller's decisions: from what a reconcile observed to the
// list of actions that move the world one step towards the spec, and the
// status that describes it. Pure: no clock (the time comes in the
// observation), no I/O, no randomness (passwords and keys are made when a
// secret action is applied).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/k8s/kube_client.h"
#include "operator/cluster/observed.h"
#include "operator/specs/specs.h"

namespace tusk::op::cluster {

// CloudNativePG's phase strings (cnpg-api.md §2.1).
inline constexpr char kPhaseHealthy[] = "Cluster in healthy state";
inline constexpr char kPhaseSettingUpPrimary[] = "Setting up primary";
inline constexpr char kPhaseCreatingReplica[] = "Creating a new replica";
inline constexpr char kPhaseWaitingForInstances[] = "Waiting for the instances to become active";
inline constexpr char kPhaseInvalid[] = "Invalid cluster definition";
inline constexpr char kPhaseCannotCreateObjects[] = "Unable to create required cluster objects";
inline constexpr char kPhaseFailingOver[] = "Failing over";
inline constexpr char kPhaseSwitchover[] = "Switchover in progress";

struct Action {
  enum class Kind {
    kCreate,             // `object` at `ref`
    kPatch,              // merge patch `object` at `ref`
    kDelete,             // `ref`
    kCreateCredentials,  // a basic-auth Secret with a fresh password (`credentials`)
    kCreateTls,          // a TLS Secret (`tls`): the CA, or a leaf signed by it
    kPromote,            // the Promote RPC to `address`: a wake-up, the status decided it
  };
  Kind kind = Kind::kCreate;
  k8s::ResourceRef ref;
  Json object;
  specs::CredentialsKind credentials = specs::CredentialsKind::kApp;
  specs::TlsSecretKind tls = specs::TlsSecretKind::kCa;
  std::string address, expected_target;  // kPromote
  // A Normal Event recorded on the Cluster once the action succeeded.
  std::string event_reason, event_message;
};

struct Event {
  std::string type;  // k8s::kEventNormal / kEventWarning
  std::string reason, message;
};

struct Plan {
  std::vector<Action> actions;
  // Merge patch of the Cluster's status subresource; null when nothing changed.
  Json status_patch;
  std::vector<Event> events;
  // Why the plan is what it is, for the log ("creating replica pg-3").
  std::string summary;
  // > 0: reconcile again after this long even if nothing is heard.
  Duration requeue_after{0};
};

// Everything the Cluster needs next. `settings` are the operator's.
Plan PlanCluster(const ObservedCluster& observed, const specs::OperatorSettings& settings);

// The status the observation describes: instance counts and names, primary,
// phase, conditions, services, PVCs. Fields the plan does not own are kept
// from `observed.cluster.status`.
api::ClusterStatus DesiredStatus(const ObservedCluster& observed, const std::string& phase,
                                 const std::string& phase_reason);

}  // namespace tusk::op::cluster
