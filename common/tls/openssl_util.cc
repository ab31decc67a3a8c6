#include "common/tls/openssl_util.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <ctime>

namespace tusk::tls::internal {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr ReadBio(const std::string& text) { return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size()))); }

std::string Drain(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

}  // namespace

Status OpenSslError(StatusCode code, const std::string& what) {
  std::string reasons;
  char buf[256];
  while (unsigned long e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof buf);
    reasons += (reasons.empty() ? "" : "; ") + std::string(buf);
  }
  return Status(code, reasons.empty() ? what : what + ": " + reasons);
}

StatusOr<CertPtr> ReadCertificate(const std::string& pem, const std::string& what) {
  if (pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return InvalidArgumentError(what + ": not a PEM certificate (no BEGIN CERTIFICATE line)");
  }
  BioPtr bio = ReadBio(pem);
  CertPtr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return OpenSslError(StatusCode::kInvalidArgument, what + ": unreadable PEM certificate");
  return cert;
}

StatusOr<KeyPtr> ReadPrivateKey(const std::string& pem, const std::string& what) {
  if (pem.find("PRIVATE KEY-----") == std::string::npos) {
    return InvalidArgumentError(what + ": not a PEM private key (no BEGIN ... PRIVATE KEY line)");
  }
  BioPtr bio = ReadBio(pem);
  // An empty passphrase callback: an encrypted key is refused, never prompted for.
  KeyPtr key(PEM_read_bio_PrivateKey(
      bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
  if (!key) return OpenSslError(StatusCode::kInvalidArgument, what + ": unreadable PEM private key");
  return key;
}

StatusOr<std::string> WriteCertificate(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return OpenSslError(StatusCode::kInternal, "writing a certificate as PEM");
  }
  return Drain(bio.get());
}

StatusOr<std::string> WritePrivateKey(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslError(StatusCode::kInternal, "writing a private key as PEM");
  }
  return Drain(bio.get());
}

StatusOr<WallTime> FromAsn1Time(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    return OpenSslError(StatusCode::kInvalidArgument, "unreadable certificate validity time");
  }
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

time_t ToTimeT(WallTime t) {
  return std::chrono::system_clock::to_time_t(std::chrono::time_point_cast<std::chrono::system_clock::duration>(t));
}

}  // namespace tusk::tls::internal
