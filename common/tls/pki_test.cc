#include "common/tls/pki.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>

#include "common/tls/certificate.h"

namespace tusk::tls {
namespace {

using namespace std::chrono_literals;

// 2026-03-01T00:00:00Z: every test runs at a fixed time, never the machine's.
const WallTime kNow = std::chrono::system_clock::from_time_t(1772323200);

std::unique_ptr<X509, decltype(&X509_free)> Read(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return {cert, X509_free};
}

// OpenSSL's own verdict on `leaf` under `ca` at `at` for `purpose`
// (X509_PURPOSE_SSL_SERVER / _CLIENT): X509_V_OK or the error code.
int OpenSslVerify(const std::string& leaf, const std::string& ca, WallTime at, int purpose) {
  auto cert = Read(leaf);
  auto root = Read(ca);
  REQUIRE(cert);
  REQUIRE(root);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, root.get());
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, cert.get(), nullptr);
  X509_STORE_CTX_set_purpose(ctx, purpose);
  X509_STORE_CTX_set_time(ctx, 0, std::chrono::system_clock::to_time_t(at));
  int rc = X509_verify_cert(ctx);
  int err = rc == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return err;
}

CertifiedKey Ca() {
  auto ca = CreateCa("pg", kNow);
  REQUIRE(ca.ok());
  return *ca;
}

const std::vector<std::string> kServerNames = {
    "pg-rw",         "pg-rw.db", "pg-rw.db.svc", "pg-rw.db.svc.cluster.local",
    "pg-ro",         "pg-ro.db", "pg-ro.db.svc", "pg-ro.db.svc.cluster.local",
    "pg-r",          "pg-r.db",  "pg-r.db.svc",  "pg-r.db.svc.cluster.local",
    "pg.example.com"};

TEST_CASE("the server certificate verifies against the CA for each of its names", "[tls]") {
  CertifiedKey ca = Ca();
  auto server = IssueCertificate(ca, {"pg-rw", kServerNames, Usage::kServer}, kNow);
  REQUIRE(server.ok());
  CHECK(OpenSslVerify(server->certificate, ca.certificate, kNow + 1h, X509_PURPOSE_SSL_SERVER) == X509_V_OK);
  auto cert = Read(server->certificate);
  for (const auto& name : kServerNames) {
    INFO(name);
    CHECK(X509_check_host(cert.get(), name.c_str(), name.size(), 0, nullptr) == 1);
  }
  CHECK(X509_check_host(cert.get(), "pg-rw.other", 0, 0, nullptr) == 0);

  auto info = ParseCertificate(server->certificate);
  REQUIRE(info.ok());
  CHECK(info->common_name == "pg-rw");
  CHECK(info->issuer_common_name == "pg");
  CHECK(info->dns_names == kServerNames);
  CHECK(info->server_auth);
  CHECK_FALSE(info->client_auth);
  CHECK_FALSE(info->is_ca);
  CHECK(CheckKeyPair(server->certificate, server->private_key).ok());
  CHECK(VerifyCertificate(server->certificate, ca.certificate, kNow).ok());
}

TEST_CASE("the streaming_replica certificate is a client certificate", "[tls]") {
  CertifiedKey ca = Ca();
  auto client = IssueCertificate(ca, {"streaming_replica", {}, Usage::kClient}, kNow);
  REQUIRE(client.ok());
  CHECK(OpenSslVerify(client->certificate, ca.certificate, kNow, X509_PURPOSE_SSL_CLIENT) == X509_V_OK);
  // Not usable to impersonate a server.
  CHECK(OpenSslVerify(client->certificate, ca.certificate, kNow, X509_PURPOSE_SSL_SERVER) ==
        X509_V_ERR_INVALID_PURPOSE);
  auto info = ParseCertificate(client->certificate);
  REQUIRE(info.ok());
  CHECK(info->common_name == "streaming_replica");
  CHECK(info->client_auth);
  CHECK_FALSE(info->server_auth);
  CHECK(info->dns_names.empty());
}

TEST_CASE("keys are ECDSA P-256 and certificates last 90 days by default", "[tls]") {
  CertifiedKey ca = Ca();
  auto server = IssueCertificate(ca, {"pg-rw", {"pg-rw"}, Usage::kServer}, kNow);
  REQUIRE(server.ok());
  for (const std::string& pem : {ca.private_key, server->private_key}) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    REQUIRE(key != nullptr);
    char group[64] = {};
    size_t len = 0;
    CHECK(EVP_PKEY_get_group_name(key, group, sizeof group, &len) == 1);
    CHECK(std::string(group) == "prime256v1");
    EVP_PKEY_free(key);
  }
  auto info = ParseCertificate(server->certificate);
  REQUIRE(info.ok());
  CHECK(info->not_after == kNow + 24h * 90);
  CHECK(info->not_before == kNow - kBackdate);
  auto ca_info = ParseCertificate(ca.certificate);
  REQUIRE(ca_info.ok());
  CHECK(ca_info->is_ca);
  CHECK(ca_info->common_name == "pg");
}

TEST_CASE("a one-minute lifetime is honoured", "[tls]") {
  CertifiedKey ca = Ca();
  auto leaf = IssueCertificate(ca, {"pg-rw", {"pg-rw"}, Usage::kServer, 1min}, kNow);
  REQUIRE(leaf.ok());
  auto info = ParseCertificate(leaf->certificate);
  REQUIRE(info.ok());
  CHECK(info->not_after == kNow + 1min);
  CHECK(OpenSslVerify(leaf->certificate, ca.certificate, kNow + 30s, X509_PURPOSE_SSL_SERVER) == X509_V_OK);
  CHECK(OpenSslVerify(leaf->certificate, ca.certificate, kNow + 61s, X509_PURPOSE_SSL_SERVER) ==
        X509_V_ERR_CERT_HAS_EXPIRED);
  CHECK(VerifyCertificate(leaf->certificate, ca.certificate, kNow + 30s).ok());
  Status expired = VerifyCertificate(leaf->certificate, ca.certificate, kNow + 61s);
  CHECK(expired.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(expired.message(), Catch::Contains("expired"));
  CHECK_THAT(VerifyCertificate(leaf->certificate, ca.certificate, kNow - 1h).message(),
             Catch::Contains("not yet valid"));
}

TEST_CASE("renewal is due seven days before expiry", "[tls]") {
  const WallTime not_after = kNow + 24h * 90;
  CHECK_FALSE(NeedsRenewal(not_after, kNow));
  CHECK_FALSE(NeedsRenewal(not_after, not_after - 24h * 7 - 1s));
  CHECK(NeedsRenewal(not_after, not_after - 24h * 7));
  CHECK(NeedsRenewal(not_after, not_after + 1h));
  CHECK(NeedsRenewal(not_after, not_after - 2h, 3h));
}

TEST_CASE("a tampered certificate is refused", "[tls]") {
  CertifiedKey ca = Ca();
  auto leaf = IssueCertificate(ca, {"pg-rw", {"pg-rw"}, Usage::kServer}, kNow);
  REQUIRE(leaf.ok());
  const std::string& pem = leaf->certificate;
  const size_t end = pem.find("-----END");
  REQUIRE(end != std::string::npos);

  SECTION("a changed byte in the signature breaks verification") {
    std::string tampered = pem;
    // The last ~90 base64 characters before END are the ECDSA signature:
    // change the 20th from the end.
    size_t pos = end;
    for (int seen = 0; seen < 20;) {
      --pos;
      if (tampered[pos] != '\n' && tampered[pos] != '=') ++seen;
    }
    tampered[pos] = tampered[pos] == 'A' ? 'B' : 'A';
    REQUIRE(ParseCertificate(tampered).ok());  // still a well-formed certificate
    Status s = VerifyCertificate(tampered, ca.certificate, kNow);
    CHECK(s.code() == StatusCode::kInvalidArgument);
    CHECK_THAT(s.message(), Catch::Contains("signature"));
  }
  SECTION("a certificate from another CA is refused") {
    auto other = CreateCa("pg", kNow);
    REQUIRE(other.ok());
    CHECK_FALSE(VerifyCertificate(pem, other->certificate, kNow).ok());
  }
  SECTION("a truncated PEM does not parse") {
    auto info = ParseCertificate(pem.substr(0, end / 2) + "\n" + pem.substr(end));
    CHECK(info.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(info.status().message(), Catch::Contains("unreadable PEM certificate"));
  }
  SECTION("something that is not PEM at all") {
    CHECK_THAT(ParseCertificate("hello").status().message(), Catch::Contains("not a PEM certificate"));
  }
}

TEST_CASE("the public-key fingerprint identifies the key", "[tls]") {
  CertifiedKey ca = Ca();
  auto a = IssueCertificate(ca, {"a", {}, Usage::kClient}, kNow);
  auto b = IssueCertificate(ca, {"a", {}, Usage::kClient}, kNow);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  auto ia = ParseCertificate(a->certificate);
  auto ib = ParseCertificate(b->certificate);
  REQUIRE(ia.ok());
  REQUIRE(ib.ok());
  CHECK(ia->public_key_sha256.size() == 64);
  CHECK(ia->public_key_sha256 != ib->public_key_sha256);

  // The same digest computed from the private key's public half.
  BIO* bio = BIO_new_mem_buf(a->private_key.data(), static_cast<int>(a->private_key.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  REQUIRE(key != nullptr);
  unsigned char* der = nullptr;
  int n = i2d_PUBKEY(key, &der);
  unsigned char md[32];
  unsigned int len = 0;
  EVP_Digest(der, static_cast<size_t>(n), md, &len, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  EVP_PKEY_free(key);
  char hex[65] = {};
  for (unsigned i = 0; i < len; ++i) std::snprintf(hex + 2 * i, 3, "%02x", md[i]);
  CHECK(ia->public_key_sha256 == hex);
}

TEST_CASE("bad inputs to the PKI are errors that say what is wrong", "[tls]") {
  CertifiedKey ca = Ca();
  CertifiedKey other = Ca();
  CertifiedKey mixed{ca.certificate, other.private_key};
  CHECK_THAT(IssueCertificate(mixed, {"pg-rw", {}, Usage::kServer}, kNow).status().message(),
             Catch::Contains("does not belong to the CA certificate"));
  CHECK_THAT(IssueCertificate(ca, {"pg-rw", {"pg-rw,DNS:evil.example"}, Usage::kServer}, kNow).status().message(),
             Catch::Contains("is not a DNS name"));
  CHECK_THAT(IssueCertificate(ca, {"", {}, Usage::kServer}, kNow).status().message(), Catch::Contains("common name"));
  CHECK_THAT(IssueCertificate(ca, {"x", {}, Usage::kServer, 0s}, kNow).status().message(), Catch::Contains("lifetime"));
  auto leaf = IssueCertificate(ca, {"x", {}, Usage::kServer}, kNow);
  REQUIRE(leaf.ok());
  CHECK_THAT(IssueCertificate(*leaf, {"y", {}, Usage::kServer}, kNow).status().message(), Catch::Contains("not a CA"));
  CHECK_THAT(CheckKeyPair(leaf->certificate, ca.private_key).message(), Catch::Contains("does not belong"));
  CHECK_THAT(IssueCertificate({ca.certificate, "junk"}, {"y", {}, Usage::kServer}, kNow).status().message(),
             Catch::Contains("not a PEM private key"));
}

}  // namespace
}  // namespace tusk::tls
