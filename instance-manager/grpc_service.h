// The InstanceManager gRPC service (proto/instance.proto): status reads come
// from the StatusHub, operations are handed to the manager's loop.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "common/base/status.h"
#include "instance-manager/manager.h"
#include "tusk/proto/instance.grpc.pb.h"

namespace tusk::instance {

class GrpcService final : public v1::InstanceManager::Service {
 public:
  GrpcService(InstanceManager* manager, Clock* clock) : manager_(manager), clock_(clock) {}

  grpc::Status WatchStatus(grpc::ServerContext* ctx, const v1::WatchStatusRequest* req,
                           grpc::ServerWriter<v1::InstanceStatus>* writer) override;
  grpc::Status GetStatus(grpc::ServerContext* ctx, const v1::GetStatusRequest* req,
                         v1::InstanceStatus* resp) override;
  grpc::Status Promote(grpc::ServerContext* ctx, const v1::PromoteRequest* req, v1::OperationResult* resp) override;
  grpc::Status Checkpoint(grpc::ServerContext* ctx, const v1::CheckpointRequest* req,
                          v1::OperationResult* resp) override;
  grpc::Status Reload(grpc::ServerContext* ctx, const v1::ReloadRequest* req, v1::OperationResult* resp) override;
  grpc::Status Restart(grpc::ServerContext* ctx, const v1::RestartRequest* req, v1::OperationResult* resp) override;
  grpc::Status SetFenced(grpc::ServerContext* ctx, const v1::SetFencedRequest* req,
                         v1::OperationResult* resp) override;

 private:
  InstanceManager* manager_;
  Clock* clock_;
};

// Serves `service` on `address` (host:port; port 0 is refused so that
// callers always know where to connect). Plaintext for now: mTLS comes with
// the operator's certificates.
StatusOr<std::unique_ptr<grpc::Server>> StartGrpcServer(const std::string& address, GrpcService* service);

}  // namespace tusk::instance
