#include "common/s3/http_connection.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <random>
#include <thread>

#include "common/base/files.h"
#include "common/base/subprocess.h"
#include "test/unit/eventually.h"

namespace tusk::s3 {
namespace {

using namespace std::chrono_literals;

// An httplib server on a free loopback port, stopped when the test ends.
template <typename Server = httplib::Server>
class TestServer {
 public:
  template <typename... Args>
  explicit TestServer(Args&&... args) : server_(std::forward<Args>(args)...) {}
  ~TestServer() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  Server& server() { return server_; }
  void Start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    // Bound means listening: connections queue until the thread accepts them.
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  Endpoint endpoint(const std::string& scheme = "http") const { return {scheme, "127.0.0.1", port_}; }

 private:
  Server server_;
  int port_ = 0;
  std::thread thread_;
};

std::string RandomBytes(size_t n) {
  std::mt19937_64 rng(n);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

HttpRequest Get(const std::string& target) { return {"GET", target, {{"Host", "127.0.0.1"}}, {}, nullptr}; }

TEST_CASE("http: bodies by length, in chunks and to the close arrive whole; the connection is kept") {
  const std::string big = RandomBytes(9u << 20);
  TestServer<> s;
  s.server().Get("/big", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(big, "application/octet-stream");
  });
  s.server().Get("/chunked", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/plain", [](size_t offset, httplib::DataSink& sink) {
      if (offset >= 30) {
        sink.done();
        return true;
      }
      return sink.write("0123456789", 10);
    });
  });
  s.server().Get("/port", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(std::to_string(req.remote_port), "text/plain");
  });
  s.Start();
  auto conn = HttpConnection::Open(s.endpoint(), nullptr, 5s);
  REQUIRE(conn.ok());

  HttpResponse first;
  REQUIRE((*conn)->RoundTrip(Get("/port"), &first).ok());
  CHECK(first.status == 200);
  CHECK(first.Header("content-type") == "text/plain");

  std::string into = "stale";
  HttpRequest get_big = Get("/big");
  get_big.body_into = &into;
  HttpResponse big_reply;
  REQUIRE((*conn)->RoundTrip(get_big, &big_reply).ok());
  CHECK(big_reply.body.empty());
  CHECK(into.size() == 5 + big.size());
  CHECK(into.substr(5) == big);

  HttpResponse chunked;
  REQUIRE((*conn)->RoundTrip(Get("/chunked"), &chunked).ok());
  CHECK(chunked.body == "012345678901234567890123456789");

  HttpResponse head;
  REQUIRE((*conn)->RoundTrip({"HEAD", "/big", {{"Host", "127.0.0.1"}}, {}, nullptr}, &head).ok());
  CHECK(head.Header("Content-Length") == std::to_string(big.size()));
  CHECK(head.body.empty());

  HttpResponse last;
  REQUIRE((*conn)->Reusable());
  REQUIRE((*conn)->RoundTrip(Get("/port"), &last).ok());
  CHECK(last.body == first.body);  // the same client port: one connection throughout
}

TEST_CASE("http: a request body arrives whole, and a 404's body stays in the response") {
  const std::string part = RandomBytes(6u << 20);
  TestServer<> s;
  s.server().Put("/obj", [&](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.body == part ? "same" : "different", "text/plain");
  });
  s.Start();
  auto conn = HttpConnection::Open(s.endpoint(), nullptr, 5s);
  REQUIRE(conn.ok());
  HttpResponse put;
  REQUIRE((*conn)->RoundTrip({"PUT", "/obj", {{"Host", "127.0.0.1"}}, part, nullptr}, &put).ok());
  CHECK(put.status == 200);
  CHECK(put.body == "same");

  std::string into;
  HttpRequest missing = Get("/missing");
  missing.body_into = &into;
  HttpResponse not_found;
  REQUIRE((*conn)->RoundTrip(missing, &not_found).ok());
  CHECK(not_found.status == 404);
  CHECK(into.empty());
}

TEST_CASE("http: a connection the server closed is not reused") {
  TestServer<> s;
  s.server().set_keep_alive_timeout(1);
  s.server().Get("/x", [](const httplib::Request&, httplib::Response& res) { res.set_content("x", "text/plain"); });
  s.server().Get("/bye", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Connection", "close");
    res.set_content("bye", "text/plain");
  });
  s.Start();
  auto idle = HttpConnection::Open(s.endpoint(), nullptr, 5s);
  REQUIRE(idle.ok());
  HttpResponse r;
  REQUIRE((*idle)->RoundTrip(Get("/x"), &r).ok());
  CHECK((*idle)->Reusable());
  // The server closes it after a second idle; from then on it is not reused.
  CHECK(Eventually([&] { return !(*idle)->Reusable(); }, 10s, 50ms));

  auto closing = HttpConnection::Open(s.endpoint(), nullptr, 5s);
  REQUIRE(closing.ok());
  REQUIRE((*closing)->RoundTrip(Get("/bye"), &r).ok());
  CHECK(r.body == "bye");
  CHECK_FALSE((*closing)->Reusable());
  CHECK((*closing)->RoundTrip(Get("/x"), &r).code() == StatusCode::kFailedPrecondition);
}

TEST_CASE("http: a slow server times out, a closed port is refused, both before any reply") {
  TestServer<> s;
  s.server().Get("/slow", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(600ms);
    res.set_content("late", "text/plain");
  });
  s.Start();
  auto conn = HttpConnection::Open(s.endpoint(), nullptr, 150ms);
  REQUIRE(conn.ok());
  HttpResponse r;
  Status slow = (*conn)->RoundTrip(Get("/slow"), &r);
  CHECK(slow.code() == StatusCode::kDeadlineExceeded);
  CHECK_FALSE((*conn)->response_started());
  CHECK_FALSE((*conn)->Reusable());

  auto refused = HttpConnection::Open({"http", "127.0.0.1", 1}, nullptr, 1s);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == StatusCode::kUnavailable);
  CHECK(refused.status().message().find("cannot connect to 127.0.0.1:1") != std::string::npos);
}

TEST_CASE("http: TLS verifies the server against the given CA and names what is wrong") {
  auto dir = TempDir::Make("tusk-http-tls");
  REQUIRE(dir.ok());
  const std::string cert = dir->Sub("cert.pem"), key = dir->Sub("key.pem");
  SubprocessOptions gen;
  gen.argv = {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
              "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
              "-addext", "subjectAltName=IP:127.0.0.1"};
  auto made = RunSubprocess(gen, 30s);
  REQUIRE(made.ok());
  REQUIRE(made->exit.success());

  TestServer<httplib::SSLServer> s(cert.c_str(), key.c_str());
  s.server().Get("/x", [](const httplib::Request&, httplib::Response& res) { res.set_content("secret", "text/plain"); });
  s.Start();

  auto pem = ReadFile(cert);
  REQUIRE(pem.ok());
  auto trusted = TlsContext::Create(*pem);
  REQUIRE(trusted.ok());
  auto conn = HttpConnection::Open(s.endpoint("https"), *trusted, 5s);
  REQUIRE(conn.ok());
  HttpResponse r;
  REQUIRE((*conn)->RoundTrip(Get("/x"), &r).ok());
  CHECK(r.body == "secret");
  CHECK((*conn)->Reusable());

  auto system_only = TlsContext::Create("");
  REQUIRE(system_only.ok());
  auto untrusted = HttpConnection::Open(s.endpoint("https"), *system_only, 5s);
  REQUIRE_FALSE(untrusted.ok());
  CHECK(untrusted.status().message().find("not trusted") != std::string::npos);

  CHECK(TlsContext::Create("not a certificate").status().code() == StatusCode::kInvalidArgument);
}

// A server that answers one connection with `reply` whatever was asked, then
// closes it: the replies a broken or hostile object store could send.
class RawServer {
 public:
  explicit RawServer(std::string reply) : reply_(std::move(reply)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(listen_fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(listen(listen_fd_, 1) == 0);
    socklen_t len = sizeof(addr);
    REQUIRE(getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      char buf[4096];
      (void)!recv(fd, buf, sizeof(buf), 0);
      (void)!send(fd, reply_.data(), reply_.size(), MSG_NOSIGNAL);
      shutdown(fd, SHUT_WR);
      while (recv(fd, buf, sizeof(buf), 0) > 0) {
      }
      close(fd);
    });
  }
  ~RawServer() {
    shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    close(listen_fd_);
  }
  Endpoint endpoint() const { return {"http", "127.0.0.1", port_}; }

 private:
  std::string reply_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

TEST_CASE("http: a reply with an impossible length, status or header is an error, not a throw") {
  const std::vector<std::string> replies = {
      "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\nabc",
      "HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\nabc",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\nabc",
      "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nabc",
      "HTTP/1.1 2OO OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\nthis is not a header\r\n\r\n",
      "SSH-2.0-OpenSSH_9.2\r\n",
  };
  for (const auto& reply : replies) {
    INFO(reply);
    RawServer server(reply);
    auto conn = HttpConnection::Open(server.endpoint(), nullptr, 5s);
    REQUIRE(conn.ok());
    HttpResponse r;
    Status s;
    REQUIRE_NOTHROW(s = (*conn)->RoundTrip(Get("/x"), &r));
    CHECK(s.code() == StatusCode::kDataLoss);
    CHECK_FALSE((*conn)->Reusable());
  }
}

TEST_CASE("http: a declared length the server never sends does not allocate it") {
  // 4 GiB declared, 3 bytes sent: the read fails when the server closes, and
  // holds about what arrived, not what was promised.
  RawServer server("HTTP/1.1 200 OK\r\nContent-Length: 4294967296\r\n\r\nabc");
  auto conn = HttpConnection::Open(server.endpoint(), nullptr, 5s);
  REQUIRE(conn.ok());
  HttpResponse r;
  std::string into;
  HttpRequest req = Get("/x");
  req.body_into = &into;
  Status s = (*conn)->RoundTrip(req, &r);
  CHECK(s.code() == StatusCode::kUnavailable);
  CHECK(into == "abc");
  CHECK(into.capacity() <= (16u << 20));
}

TEST_CASE("http: endpoint URLs name scheme, host and port") {
  auto ep = ParseEndpoint("https://[::1]:9443/ignored");
  REQUIRE(ep.ok());
  CHECK(ep->scheme == "https");
  CHECK(ep->host == "[::1]");
  CHECK(ep->port == 9443);
  CHECK(ParseEndpoint("HTTP://minio")->port == 80);
  CHECK(ParseEndpoint("ftp://x").status().code() == StatusCode::kInvalidArgument);
  CHECK(ParseEndpoint("127.0.0.1:9000").status().code() == StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tusk::s3
