// The Endpoints and EndpointSlice controllers: every Service with a selector
// gets an Endpoints object (net::EndpointsFor decides it) and EndpointSlices
// (one per distinct set of resolved ports) that follow its pods' readiness.
// Watch-driven: a pod turning ready or not reaches both within milliseconds.
#pragma once

#include <vector>

#include "test/localkube/controllers/controller.h"
#include "test/localkube/controllers/object_util.h"

namespace tusk::localkube {

inline constexpr char kServiceNameLabel[] = "kubernetes.io/service-name";
inline constexpr char kManagedByLabel[] = "endpointslice.kubernetes.io/managed-by";
inline constexpr char kSliceControllerName[] = "endpointslice-controller.k8s.io";

// The EndpointSlices (without names) `service` should have given the pods of
// its namespace. Terminating pods stay listed with terminating=true, as the
// real controller does, so proxies can drain them. Empty for a Service
// without selector.
std::vector<json> EndpointSlicesFor(const json& service, const std::vector<json>& pods);

class EndpointsController : public Controller {
 public:
  EndpointsController(Api* api, Clock& clock) : api_(api), clock_(clock) {}
  std::string name() const override { return "endpoints"; }
  std::vector<std::string> watches() const override {
    return {"services", "pods", "endpoints", "endpointslices.discovery.k8s.io"};
  }
  std::optional<Duration> Reconcile() override;

 private:
  bool SyncEndpoints(const json& service, const std::vector<json>& pods);
  bool SyncSlices(const json& service, const std::vector<json>& pods, const std::vector<json>& slices);

  Api* api_;
  Clock& clock_;
};

}  // namespace tusk::localkube
