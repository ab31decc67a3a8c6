// localkube's HTTPS front end: authenticates bearer tokens, authorizes with
// RBAC, routes Kubernetes REST paths to the in-process Api and writes its
// answers as kube-apiserver does (Status errors, Tables for kubectl, chunked
// watch streams with bookmarks, discovery and OpenAPI documents).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <httplib.h>

#include "test/localkube/apiserver/api.h"
#include "test/localkube/apiserver/rbac.h"
#include "common/base/clock.h"

namespace tusk::localkube {

struct HttpServerOptions {
  std::string cert_path;
  std::string key_path;
  std::string admin_token;
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port
  std::chrono::seconds bookmark_interval{30};
  size_t max_body_bytes = 3 * 1024 * 1024;
  // GET pods/<name>/log. Until a kubelet installs one, logs are unavailable.
  std::function<void(const json& pod, const httplib::Request&, httplib::Response&)> pod_logs;
};

class HttpServer {
 public:
  // `clock` decides whether tokens have expired.
  HttpServer(Api* api, Clock& clock, HttpServerOptions options);
  ~HttpServer();
  // Binds (to options.port, or any free port when it is 0 or taken if
  // `fallback_any`); returns the port.
  StatusOr<int> Bind(bool fallback_any);
  // Serves until Stop(); blocks.
  void Serve();
  void Stop();

 private:
  struct Call;
  void Handle(const httplib::Request& req, httplib::Response& res);
  std::optional<UserInfo> Authenticate(const httplib::Request& req) const;
  bool Authorized(const UserInfo& user, const RequestAttributes& attrs) const;
  RbacPolicy Policy() const;
  void HandleResource(Call& call);
  void HandleReview(Call& call);
  void HandleWatch(Call& call);
  void HandleSubresource(Call& call);

  Api* api_;
  Clock& clock_;
  HttpServerOptions options_;
  std::unique_ptr<httplib::SSLServer> server_;
  int port_ = 0;
};

}  // namespace tusk::localkube
