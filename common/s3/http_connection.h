// One kept-alive HTTP/1.1 connection to an object store, plain or TLS.
//
// The object store moves 16 MiB bodies; this client reads them with large
// reads straight into the caller's buffer, without a poll before every read
// (timeouts are socket options), and writes request bodies from the caller's
// memory. One request at a time; S3Client keeps a pool of these.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/base/status.h"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace tusk::s3 {

struct Endpoint {
  std::string scheme;  // http or https
  std::string host;    // a name, an IPv4 address, or [an IPv6 address]
  int port = 0;
};

// "https://host[:port][/…]"; the path part is ignored.
StatusOr<Endpoint> ParseEndpoint(const std::string& url);

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  // The body, unless the request asked for a 2xx body elsewhere.
  std::string body;
  std::string Header(std::string_view name) const;  // "" when absent
};

struct HttpRequest {
  std::string method;
  std::string target;  // path and query, already encoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;  // sent with Content-Length for PUT and POST
  // When set, a 2xx body is appended here (reusing its capacity) instead of
  // HttpResponse::body.
  std::string* body_into = nullptr;
};

// TLS settings shared by every connection to one endpoint.
class TlsContext {
 public:
  // Verifies the server against the certificates in `ca_pem` (PEM text, one
  // or more) when given, else against the system's trusted certificates.
  static StatusOr<std::shared_ptr<TlsContext>> Create(const std::string& ca_pem);
  ~TlsContext();
  SSL_CTX* get() const { return ctx_; }

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

class HttpConnection {
 public:
  // `tls` is required for https endpoints. `timeout` bounds every single
  // read or write; connecting gives up after at most 10 s.
  static StatusOr<std::unique_ptr<HttpConnection>> Open(const Endpoint& endpoint, std::shared_ptr<TlsContext> tls,
                                                        std::chrono::milliseconds timeout);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends `request` and reads the whole response. An error means the
  // transport failed; `response_started()` then says whether any of the
  // response had arrived (when not, the request can be sent again as is).
  Status RoundTrip(const HttpRequest& request, HttpResponse* response);
  bool response_started() const { return response_started_; }

  // Whether the connection can carry another request: the last response
  // was read whole, and the server has not closed its side while idle.
  bool Reusable();

 private:
  HttpConnection(int fd, SSL* ssl, std::shared_ptr<TlsContext> tls) : fd_(fd), ssl_(ssl), tls_(std::move(tls)) {}
  Status WriteAll(std::string_view data);
  // Up to `n` bytes into `out`: the buffered rest of an earlier read first,
  // then the socket. 0 at end of stream.
  StatusOr<size_t> Read(char* out, size_t n);
  StatusOr<size_t> ReadSocket(char* out, size_t n);
  // Buffered reads for the status line, headers and chunk sizes.
  StatusOr<std::string> ReadLine();
  Status ReadBody(uint64_t length, std::string* into);
  Status ReadChunked(std::string* into);
  Status ReadToClose(std::string* into);

  int fd_;
  SSL* ssl_;
  std::shared_ptr<TlsContext> tls_;
  std::string buffer_;  // read but not consumed: buffer_[pos_..]
  size_t pos_ = 0;
  bool reusable_ = true;
  bool response_started_ = false;
};

}  // namespace tusk::s3
