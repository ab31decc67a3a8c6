// HttpKubeClient over TLS against an in-test HTTPS server: server verified
// by the configured CA, client certificates, and insecure-skip-tls-verify.
#include <catch2/catch.hpp>

#include <httplib.h>

#include <thread>

#include "common/base/files.h"
#include "common/base/subprocess.h"
#include "common/k8s/http_kube_client.h"
#include "test/unit/eventually.h"

namespace tusk::k8s {
namespace {

// A CA, a server certificate for 127.0.0.1 and a client certificate, made
// with the openssl command line.
struct Pki {
  TempDir dir;
  std::string ca_pem, client_cert_pem, client_key_pem;
};

void OpenSsl(const std::string& cwd, std::vector<std::string> args) {
  SubprocessOptions o;
  o.argv = {"openssl"};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.working_dir = cwd;
  auto r = RunSubprocess(o, std::chrono::seconds(30));
  REQUIRE(r.ok());
  INFO(r->stderr_data);
  REQUIRE(r->exit.success());
}

Pki MakePki() {
  auto dir = TempDir::Make("k8s-tls");
  REQUIRE(dir.ok());
  const std::string d = dir->path();
  OpenSsl(d, {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1",
              "-subj", "/CN=test-ca"});
  REQUIRE(WriteFile(d + "/server.ext", "subjectAltName=IP:127.0.0.1\n").ok());
  OpenSsl(d, {"req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj",
              "/CN=127.0.0.1"});
  OpenSsl(d, {"x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out",
              "server.crt", "-days", "1", "-extfile", "server.ext"});
  OpenSsl(d, {"req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key", "-out", "client.csr", "-subj",
              "/CN=tusk-operator/O=system:masters"});
  OpenSsl(d, {"x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out",
              "client.crt", "-days", "1"});
  Pki p{std::move(*dir), "", "", ""};
  p.ca_pem = *ReadFile(d + "/ca.crt");
  p.client_cert_pem = *ReadFile(d + "/client.crt");
  p.client_key_pem = *ReadFile(d + "/client.key");
  return p;
}

class TlsServer {
 public:
  TlsServer(const Pki& pki, bool require_client_cert)
      : server_((pki.dir.Sub("server.crt")).c_str(), (pki.dir.Sub("server.key")).c_str(),
                require_client_cert ? pki.dir.Sub("ca.crt").c_str() : nullptr) {
    server_.Get("/api/v1/namespaces", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"kind":"NamespaceList","metadata":{"resourceVersion":"1"},"items":[]})",
                      "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    Eventually([&] { return server_.is_running(); }, std::chrono::seconds(2), std::chrono::milliseconds(1));
  }
  ~TlsServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::SSLServer server_;
  int port_ = 0;
  std::thread thread_;
};

Status ListNamespaces(const KubeConfig& config) {
  RealClock clock;
  HttpClientOptions opts;
  opts.max_retries = 0;
  auto client = HttpKubeClient::Create(config, clock, opts);
  if (!client.ok()) return client.status();
  return (*client)->List({"", "v1", "namespaces", "", "", ""}, {}).status();
}

TEST_CASE("TLS: the server is verified against the configured CA; client certificates authenticate") {
  Pki pki = MakePki();
  TlsServer server(pki, /*require_client_cert=*/true);
  KubeConfig config;
  config.server = server.url();
  config.ca_pem = pki.ca_pem;
  config.client_cert_pem = pki.client_cert_pem;
  config.client_key_pem = pki.client_key_pem;
  Status with_cert = ListNamespaces(config);
  INFO(with_cert.ToString());
  CHECK(with_cert.ok());

  KubeConfig no_cert = config;
  no_cert.client_cert_pem.clear();
  no_cert.client_key_pem.clear();
  CHECK(ListNamespaces(no_cert).code() == StatusCode::kUnavailable);

  KubeConfig bad_key = config;
  bad_key.client_key_pem = "not a key";
  CHECK(ListNamespaces(bad_key).code() == StatusCode::kInvalidArgument);
}

TEST_CASE("TLS: an untrusted server is refused unless insecure-skip-tls-verify is set") {
  Pki pki = MakePki();
  TlsServer server(pki, /*require_client_cert=*/false);
  KubeConfig config;
  config.server = server.url();
  config.ca_pem = "";  // the system store does not know our test CA
  CHECK(ListNamespaces(config).code() == StatusCode::kUnavailable);
  config.insecure_skip_tls_verify = true;
  CHECK(ListNamespaces(config).ok());
}

}  // namespace
}  // namespace tusk::k8s
