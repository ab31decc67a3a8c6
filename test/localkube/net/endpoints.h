// The Endpoints controller's decision as a pure function: which pods a
// Service selects, which of them are ready (so the proxy may send new
// connections to them), and the port numbers behind named targetPorts.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

namespace tusk::localkube::net {

// True when every key=value of the selector is among the labels.
bool SelectorMatches(const nlohmann::json& selector, const nlohmann::json& labels);

// The v1 Endpoints object for `service` given every pod of its namespace.
// Ready pods go to `addresses`, the rest (running but not ready) to
// `notReadyAddresses`, unless the Service sets publishNotReadyAddresses.
// Pods without an IP, finished, or being deleted are left out. A Service
// without a selector gets no Endpoints (null): its Endpoints are managed by
// hand.
nlohmann::json EndpointsFor(const nlohmann::json& service, const std::vector<nlohmann::json>& pods);

}  // namespace tusk::localkube::net
