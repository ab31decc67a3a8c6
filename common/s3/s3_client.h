// An S3 client: SigV4 on every request, path-style or
// virtual-hosted addressing, a pool of kept-alive connections shared by
// threads, retries with exponential back-off on 5xx and throttling, and
// errors that say what to fix (credentials, bucket, region).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/s3/http_connection.h"
#include "common/s3/object_store.h"
#include "common/s3/sigv4.h"

namespace tusk::s3 {

struct S3Options {
  // "http://127.0.0.1:9000"; empty means AWS: https://s3.<region>.amazonaws.com.
  std::string endpoint_url;
  std::string region = "us-east-1";
  std::string bucket;
  // Default: path-style for a custom endpoint, virtual-hosted for AWS.
  std::optional<bool> path_style;
  Credentials credentials;
  // PEM CA certificates that sign an https endpoint's certificate; empty
  // means the system's trusted certificates.
  std::string ca_pem;
  size_t max_connections = 16;
  int list_page_size = 1000;  // ListObjectsV2 max-keys
  int max_attempts = 5;
  std::chrono::milliseconds first_backoff{100};
  std::chrono::milliseconds timeout{120'000};  // connect, and every read or write
};

// One parsed page of ListObjectsV2.
struct ListPage {
  Listing listing;
  bool truncated = false;
  std::string next_token;
};
ListPage ParseListPage(std::string_view xml);

// The Status for an S3 error reply: the code in the <Error> body decides the
// message (bad credentials, missing bucket, wrong region, throttling).
Status ErrorFromReply(int http_status, std::string_view body, const std::string& what,
                      const std::string& configured_region);
// Whether a reply is worth retrying: 5xx, 429, SlowDown, RequestTimeout.
bool IsRetriable(int http_status, std::string_view body);

class S3Client : public ObjectStore {
 public:
  static StatusOr<std::unique_ptr<S3Client>> Create(S3Options options);
  ~S3Client() override;

  std::string Describe() const override;
  Status Put(const std::string& key, std::string_view body) override;
  StatusOr<std::string> Get(const std::string& key, uint64_t offset, uint64_t length) override;
  Status GetInto(const std::string& key, uint64_t offset, uint64_t length, std::string* into) override;
  StatusOr<ObjectInfo> Head(const std::string& key) override;
  Status Delete(const std::string& key) override;
  StatusOr<Listing> List(const std::string& prefix, const std::string& delimiter) override;
  StatusOr<std::unique_ptr<MultipartUpload>> StartMultipart(const std::string& key) override;
  Status CheckBucket() override;

  struct Call {
    std::string method;
    std::string key;  // empty for bucket-level calls
    Pairs query;
    Pairs headers;
    std::string_view body;
    std::string* body_into = nullptr;  // where a 2xx body goes instead of Reply::body
  };
  using Reply = HttpResponse;
  // Signs, sends and retries; a non-2xx final reply becomes an error Status.
  StatusOr<Reply> Send(const Call& call);

 private:
  explicit S3Client(S3Options options);
  // A pooled connection that still works, else a new one.
  StatusOr<std::unique_ptr<HttpConnection>> Acquire(bool* reused);
  void Release(std::unique_ptr<HttpConnection> connection);
  std::string What(const Call& call) const;

  S3Options options_;
  Endpoint endpoint_;  // what the connections dial
  std::shared_ptr<TlsContext> tls_;
  std::string host_header_;
  std::mutex mu_;
  std::vector<std::unique_ptr<HttpConnection>> idle_;
};

}  // namespace tusk::s3
