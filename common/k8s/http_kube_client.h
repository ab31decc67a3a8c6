// KubeClient over HTTP/1.1 (cpp-httplib + OpenSSL): a small pool of
// keep-alive connections for requests, one dedicated connection per watch,
// Retry-After honoured on 429 and 5xx, bearer tokens re-read on rotation.
// Creating one ignores SIGPIPE process-wide (OpenSSL writes raise it).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/base/clock.h"
#include "common/k8s/config.h"
#include "common/k8s/kube_client.h"

namespace httplib {
class ClientImpl;
}

namespace tusk::k8s {

struct HttpClientOptions {
  Duration request_timeout = std::chrono::seconds(30);
  Duration connect_timeout = std::chrono::seconds(5);
  size_t max_idle_connections = 4;
  // Attempts after the first for 429/5xx responses and, for reads, broken connections.
  int max_retries = 5;
  Duration max_retry_wait = std::chrono::seconds(30);
};

class HttpKubeClient final : public KubeClient {
 public:
  static StatusOr<std::unique_ptr<HttpKubeClient>> Create(const KubeConfig& config, Clock& clock,
                                                          HttpClientOptions options = {});
  ~HttpKubeClient() override;

  StatusOr<Json> Get(const ResourceRef& ref) override;
  StatusOr<ListResult> List(const ResourceRef& ref, const ListOptions& options) override;
  StatusOr<Json> Create(const ResourceRef& ref, const Json& object) override;
  StatusOr<Json> Update(const ResourceRef& ref, const Json& object) override;
  StatusOr<Json> Patch(const ResourceRef& ref, PatchType type, const std::string& body,
                       const PatchOptions& options = {}) override;
  Status Delete(const ResourceRef& ref, const DeleteOptions& options = {}) override;
  Status Watch(const ResourceRef& ref, const ListOptions& options, const WatchHandler& handler,
               WatchCanceller* canceller) override;

  // Raw request, for callers needing an endpoint the typed calls lack.
  StatusOr<std::string> Request(const std::string& method, const std::string& path_and_query,
                                const std::string& body = "", const std::string& content_type = "");

  // Connections opened so far (for tests of connection reuse).
  size_t connections_opened() const;

 private:
  HttpKubeClient(const KubeConfig& config, Clock& clock, HttpClientOptions options);

  StatusOr<std::unique_ptr<httplib::ClientImpl>> Connect(Duration read_timeout);
  std::unique_ptr<httplib::ClientImpl> Acquire();
  void Release(std::unique_ptr<httplib::ClientImpl> conn);
  std::vector<std::pair<std::string, std::string>> Headers(const std::string& content_type);

  const KubeConfig config_;
  Clock& clock_;
  const HttpClientOptions options_;
  TokenSource token_;
  bool tls_ = false;
  std::string host_;
  int port_ = 0;

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<httplib::ClientImpl>> idle_;
  size_t opened_ = 0;
};

// "a=b&c=d" with percent-encoding, from list options (plus watch=1 when watching).
std::string ListQuery(const ListOptions& options, bool watch);

}  // namespace tusk::k8s
