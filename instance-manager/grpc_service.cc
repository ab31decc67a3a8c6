#include "instance-manager/grpc_service.h"

#include <algorithm>

namespace tusk::instance {

grpc::Status GrpcService::WatchStatus(grpc::ServerContext* ctx, const v1::WatchStatusRequest* req,
                                      grpc::ServerWriter<v1::InstanceStatus>* writer) {
  uint32_t interval = req->heartbeat_interval_ms() == 0 ? 1000 : std::min<uint32_t>(req->heartbeat_interval_ms(), 1000);
  uint64_t seq = 0;
  uint64_t version = 0;
  v1::InstanceStatus s = manager_->hub().Latest(&version);
  while (!ctx->IsCancelled() && !manager_->hub().closed()) {
    s.set_sequence(++seq);
    s.set_reported_unix_ms(UnixMillis(clock_->WallNow()));
    if (!writer->Write(s)) break;
    // A change is sent at once; otherwise the same status again as the
    // heartbeat the operator counts on.
    version = manager_->hub().WaitNewer(version, std::chrono::milliseconds(interval));
    s = manager_->hub().Latest(&version);
  }
  return grpc::Status::OK;
}

grpc::Status GrpcService::GetStatus(grpc::ServerContext*, const v1::GetStatusRequest*, v1::InstanceStatus* resp) {
  *resp = manager_->CollectStatus();
  return grpc::Status::OK;
}

grpc::Status GrpcService::Promote(grpc::ServerContext*, const v1::PromoteRequest* req, v1::OperationResult* resp) {
  *resp = manager_->Promote(*req);
  return grpc::Status::OK;
}

grpc::Status GrpcService::Checkpoint(grpc::ServerContext*, const v1::CheckpointRequest*, v1::OperationResult* resp) {
  *resp = manager_->Checkpoint();
  return grpc::Status::OK;
}

grpc::Status GrpcService::Reload(grpc::ServerContext*, const v1::ReloadRequest*, v1::OperationResult* resp) {
  *resp = manager_->Reload();
  return grpc::Status::OK;
}

grpc::Status GrpcService::Restart(grpc::ServerContext*, const v1::RestartRequest* req, v1::OperationResult* resp) {
  *resp = manager_->Restart(req->smart());
  return grpc::Status::OK;
}

grpc::Status GrpcService::SetFenced(grpc::ServerContext*, const v1::SetFencedRequest* req,
                                    v1::OperationResult* resp) {
  *resp = manager_->SetFenced(req->fenced());
  return grpc::Status::OK;
}

StatusOr<std::unique_ptr<grpc::Server>> StartGrpcServer(const std::string& address, GrpcService* service) {
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
  // The operator keeps a stream open to every instance and pings it every
  // second to notice a dead pod fast; gRPC's defaults would answer those
  // pings with GOAWAY "too_many_pings" on a quiet stream.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 500);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) return UnavailableError("cannot serve gRPC on " + address + " (port in use?)");
  return server;
}

}  // namespace tusk::instance
