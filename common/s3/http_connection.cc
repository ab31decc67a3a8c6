#include "common/s3/http_connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "common/base/signals.h"
#include "common/s3/http_parse.h"

namespace tusk::s3 {
namespace {

constexpr size_t kReadAhead = 64u << 10;  // what one buffered read asks for
constexpr size_t kMaxHeaderBytes = 64u << 10;
// All header lines of one response together; a server that sends more is
// broken, and reading on would only grow memory.
constexpr size_t kMaxHeaderBlockBytes = 1u << 20;
// How much a body read allocates ahead of the bytes actually received, so a
// declared length the server never sends costs nothing.
constexpr size_t kBodyGrowStep = 8u << 20;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return buf;
}

std::string Bare(const std::string& host) {
  return host.size() > 2 && host.front() == '[' ? host.substr(1, host.size() - 2) : host;
}

// A port written after a host: digits only, 1..65535.
bool ParsePort(std::string_view s, int* port) {
  int n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || n <= 0 || n > 65535) return false;
  *port = n;
  return true;
}

bool IsIpAddress(const std::string& host) {
  in6_addr v6;
  in_addr v4;
  return inet_pton(AF_INET, host.c_str(), &v4) == 1 || inet_pton(AF_INET6, host.c_str(), &v6) == 1;
}

// A connected, blocking socket with send and receive timeouts.
StatusOr<int> Connect(const Endpoint& ep, std::chrono::milliseconds timeout) {
  const std::string host = Bare(ep.host);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(host.c_str(), std::to_string(ep.port).c_str(), &hints, &found);
  if (rc != 0) return UnavailableError("cannot resolve " + host + ": " + gai_strerror(rc));
  std::string last = "no address";
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    int s = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (s < 0) {
      last = strerror(errno);
      continue;
    }
    int err = 0;
    if (connect(s, a->ai_addr, a->ai_addrlen) != 0) {
      err = errno;
      if (err == EINPROGRESS) {
        pollfd p{s, POLLOUT, 0};
        int ready = poll(&p, 1, static_cast<int>(timeout.count()));
        socklen_t len = sizeof(err);
        if (ready <= 0) {
          err = ready == 0 ? ETIMEDOUT : errno;
        } else if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
          err = errno;
        }
      }
    }
    if (err != 0) {
      last = strerror(err);
      close(s);
      continue;
    }
    fd = s;
  }
  freeaddrinfo(found);
  if (fd < 0) return UnavailableError("cannot connect to " + ep.host + ":" + std::to_string(ep.port) + ": " + last);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  return fd;
}

}  // namespace

StatusOr<Endpoint> ParseEndpoint(const std::string& url) {
  Endpoint ep;
  auto sep = url.find("://");
  if (sep == std::string::npos) return InvalidArgumentError("endpointURL '" + url + "' needs a scheme (http:// or https://)");
  ep.scheme = url.substr(0, sep);
  for (auto& c : ep.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ep.scheme != "http" && ep.scheme != "https") {
    return InvalidArgumentError("endpointURL '" + url + "': only http and https are supported");
  }
  std::string rest = url.substr(sep + 3);
  rest = rest.substr(0, rest.find('/'));
  ep.port = ep.scheme == "https" ? 443 : 80;
  if (!rest.empty() && rest[0] == '[') {  // [::1]:9000
    auto close = rest.find(']');
    if (close == std::string::npos) return InvalidArgumentError("endpointURL '" + url + "': bad IPv6 address");
    ep.host = rest.substr(0, close + 1);
    std::string_view after = std::string_view(rest).substr(close + 1);
    if (!after.empty() && (after[0] != ':' || !ParsePort(after.substr(1), &ep.port))) ep.port = 0;
  } else {
    auto colon = rest.find(':');
    ep.host = rest.substr(0, colon);
    if (colon != std::string::npos && !ParsePort(std::string_view(rest).substr(colon + 1), &ep.port)) ep.port = 0;
  }
  if (ep.host.empty() || ep.host == "[]" || ep.port <= 0) {
    return InvalidArgumentError("endpointURL '" + url + "' has no usable host:port");
  }
  return ep;
}

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return "";
}

StatusOr<std::shared_ptr<TlsContext>> TlsContext::Create(const std::string& ca_pem) {
  IgnoreSigpipe();  // SSL_write writes to the socket without MSG_NOSIGNAL
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return InternalError("creating a TLS context: " + OpenSslError());
  std::shared_ptr<TlsContext> out(new TlsContext(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (ca_pem.empty()) {
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
      return InternalError("cannot load the system's CA certificates: " + OpenSslError());
    }
    return out;
  }
  BIO* bio = BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size()));
  int added = 0;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    if (X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), cert) == 1) ++added;
    X509_free(cert);
  }
  BIO_free(bio);
  ERR_clear_error();  // the read that ended the loop
  if (added == 0) return InvalidArgumentError("the CA bundle for the object store holds no PEM certificate");
  return out;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

StatusOr<std::unique_ptr<HttpConnection>> HttpConnection::Open(const Endpoint& ep, std::shared_ptr<TlsContext> tls,
                                                               std::chrono::milliseconds timeout) {
  ASSIGN_OR_RETURN(int fd, Connect(ep, std::min<std::chrono::milliseconds>(timeout, std::chrono::seconds(10))));
  if (ep.scheme != "https") return std::unique_ptr<HttpConnection>(new HttpConnection(fd, nullptr, nullptr));
  if (tls == nullptr) {
    close(fd);
    return FailedPreconditionError("an https endpoint needs a TLS context");
  }
  SSL* ssl = SSL_new(tls->get());
  std::unique_ptr<HttpConnection> conn(new HttpConnection(fd, ssl, tls));
  if (ssl == nullptr) return InternalError("creating a TLS session: " + OpenSslError());
  const std::string host = Bare(ep.host);
  if (IsIpAddress(host)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, host.c_str());
    SSL_set1_host(ssl, host.c_str());
  }
  SSL_set_fd(ssl, fd);
  if (SSL_connect(ssl) != 1) {
    long verify = SSL_get_verify_result(ssl);
    std::string why = verify != X509_V_OK ? std::string("the server's certificate is not trusted: ") +
                                                X509_verify_cert_error_string(verify)
                                          : OpenSslError();
    return UnavailableError("TLS handshake with " + ep.host + ":" + std::to_string(ep.port) + " failed: " + why);
  }
  return conn;
}

HttpConnection::~HttpConnection() {
  if (ssl_ != nullptr) {
    SSL_shutdown(ssl_);
    SSL_free(ssl_);
  }
  close(fd_);
}

Status HttpConnection::WriteAll(std::string_view data) {
  while (!data.empty()) {
    ssize_t n;
    if (ssl_ != nullptr) {
      n = SSL_write(ssl_, data.data(), static_cast<int>(std::min<size_t>(data.size(), 1u << 30)));
      if (n <= 0) return UnavailableError("writing the request: " + OpenSslError());
    } else {
      n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return DeadlineExceededError("writing the request timed out");
      if (n < 0) return UnavailableError(std::string("writing the request: ") + strerror(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return OkStatus();
}

StatusOr<size_t> HttpConnection::ReadSocket(char* out, size_t n) {
  while (true) {
    ssize_t got;
    if (ssl_ != nullptr) {
      got = SSL_read(ssl_, out, static_cast<int>(std::min<size_t>(n, 1u << 30)));
      if (got <= 0) {
        int err = SSL_get_error(ssl_, static_cast<int>(got));
        if (err == SSL_ERROR_ZERO_RETURN) return size_t{0};
        if (err == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK)) {
          return DeadlineExceededError("reading the response timed out");
        }
        if (err == SSL_ERROR_SYSCALL && errno == 0) return size_t{0};  // closed without close_notify
        return UnavailableError("reading the response: " + OpenSslError());
      }
    } else {
      got = recv(fd_, out, n, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return DeadlineExceededError("reading the response timed out");
      if (got < 0) return UnavailableError(std::string("reading the response: ") + strerror(errno));
    }
    if (got > 0) response_started_ = true;
    return static_cast<size_t>(got);
  }
}

StatusOr<size_t> HttpConnection::Read(char* out, size_t n) {
  if (pos_ < buffer_.size()) {
    size_t take = std::min(n, buffer_.size() - pos_);
    std::memcpy(out, buffer_.data() + pos_, take);
    pos_ += take;
    return take;
  }
  return ReadSocket(out, n);
}

StatusOr<std::string> HttpConnection::ReadLine() {
  while (true) {
    size_t nl = buffer_.find('\n', pos_);
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(pos_, nl - pos_);
      pos_ = nl + 1;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    if (buffer_.size() - pos_ > kMaxHeaderBytes) return DataLossError("the response has a line longer than 64 KiB");
    buffer_.erase(0, pos_);
    pos_ = 0;
    size_t old = buffer_.size();
    buffer_.resize(old + kReadAhead);
    auto got = ReadSocket(buffer_.data() + old, kReadAhead);
    buffer_.resize(old + (got.ok() ? *got : 0));
    if (!got.ok()) return got.status();
    if (*got == 0) return UnavailableError("the server closed the connection before the response ended");
  }
}

Status HttpConnection::ReadBody(uint64_t length, std::string* into) {
  const size_t start = into->size();
  if (length > kMaxBodyBytes || start + length > kMaxBodyBytes) {
    return DataLossError("the response body would exceed " + std::to_string(kMaxBodyBytes >> 30) + " GiB");
  }
  // Grow with what arrives (a step at a time) rather than by what the server
  // declared, so a lying length cannot allocate memory it never fills.
  size_t done = 0;
  while (done < length) {
    if (into->size() == start + done) {
      into->resize(start + done + static_cast<size_t>(std::min<uint64_t>(length - done, kBodyGrowStep)));
    }
    auto n = Read(into->data() + start + done, into->size() - start - done);
    if (!n.ok() || *n == 0) {
      into->resize(start + done);
      if (!n.ok()) return n.status();
      return UnavailableError("the server closed the connection after " + std::to_string(done) + " of " +
                              std::to_string(length) + " body bytes");
    }
    done += *n;
  }
  return OkStatus();
}

Status HttpConnection::ReadChunked(std::string* into) {
  while (true) {
    ASSIGN_OR_RETURN(std::string line, ReadLine());
    ASSIGN_OR_RETURN(uint64_t size, ParseChunkSize(line));
    if (size == 0) break;
    RETURN_IF_ERROR(ReadBody(size, into));
    ASSIGN_OR_RETURN(std::string crlf, ReadLine());
    if (!crlf.empty()) return DataLossError("a chunk is longer than its size line says");
  }
  for (size_t trailer_bytes = 0;;) {  // trailers, up to the empty line
    ASSIGN_OR_RETURN(std::string trailer, ReadLine());
    if (trailer.empty()) return OkStatus();
    trailer_bytes += trailer.size();
    if (trailer_bytes > kMaxHeaderBlockBytes) return DataLossError("the response trailers are longer than 1 MiB");
  }
}

Status HttpConnection::ReadToClose(std::string* into) {
  char buf[kReadAhead];
  while (true) {
    ASSIGN_OR_RETURN(size_t n, Read(buf, sizeof(buf)));
    if (n == 0) return OkStatus();
    if (into->size() + n > kMaxBodyBytes) {
      return DataLossError("the response body would exceed " + std::to_string(kMaxBodyBytes >> 30) + " GiB");
    }
    into->append(buf, n);
  }
}

Status HttpConnection::RoundTrip(const HttpRequest& request, HttpResponse* response) {
  response_started_ = false;
  *response = HttpResponse{};
  if (!reusable_) return FailedPreconditionError("the connection cannot carry another request");
  reusable_ = false;  // until the response has been read whole
  std::string head = request.method + " " + request.target + " HTTP/1.1\r\n";
  for (const auto& [k, v] : request.headers) head += k + ": " + v + "\r\n";
  if (!request.body.empty() || request.method == "PUT" || request.method == "POST") {
    head += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  }
  head += "\r\n";
  if (request.body.size() <= kReadAhead) {
    head.append(request.body);
    RETURN_IF_ERROR(WriteAll(head));
  } else {
    RETURN_IF_ERROR(WriteAll(head));
    RETURN_IF_ERROR(WriteAll(request.body));
  }

  bool keep_alive = true;
  do {  // an interim 1xx reply is followed by the real one
    ASSIGN_OR_RETURN(std::string status_line, ReadLine());
    ASSIGN_OR_RETURN(StatusLine parsed, ParseStatusLine(status_line));
    keep_alive = parsed.keep_alive;
    response->status = parsed.code;
    response->headers.clear();  // an interim reply's
    size_t header_bytes = 0;
    while (true) {
      ASSIGN_OR_RETURN(std::string line, ReadLine());
      if (line.empty()) break;
      header_bytes += line.size();
      if (header_bytes > kMaxHeaderBlockBytes) return DataLossError("the response headers are longer than 1 MiB");
      ASSIGN_OR_RETURN(auto header, ParseHeaderLine(line));
      response->headers.push_back(std::move(header));
    }
  } while (response->status >= 100 && response->status < 200);

  if (EqualsIgnoreCase(response->Header("Connection"), "close")) keep_alive = false;
  const bool ok = response->status >= 200 && response->status < 300;
  std::string* into = ok && request.body_into != nullptr ? request.body_into : &response->body;
  if (request.method == "HEAD" || response->status == 204 || response->status == 304) {
    // no body
  } else if (response->Header("Transfer-Encoding").find("chunked") != std::string::npos) {
    RETURN_IF_ERROR(ReadChunked(into));
  } else if (std::string length = response->Header("Content-Length"); !length.empty()) {
    ASSIGN_OR_RETURN(uint64_t declared, ParseContentLength(length));
    RETURN_IF_ERROR(ReadBody(declared, into));
  } else {
    RETURN_IF_ERROR(ReadToClose(into));
    keep_alive = false;
  }
  buffer_.erase(0, pos_);
  pos_ = 0;
  reusable_ = keep_alive && buffer_.empty();
  return OkStatus();
}

bool HttpConnection::Reusable() {
  if (!reusable_) return false;
  // Idle, a readable socket means the server closed it (or sent what it
  // should not have): either way it cannot take a request.
  pollfd p{fd_, POLLIN, 0};
  return poll(&p, 1, 0) == 0;
}

}  // namespace tusk::s3
