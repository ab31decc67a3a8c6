// What the PKI shares about OpenSSL: owning pointers for its objects, PEM in
// and out, its error queue turned into a Status, and its times as WallTime.
// Internal to common/tls; callers see PEM strings only.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "common/base/clock.h"
#include "common/base/status.h"

namespace tusk::tls::internal {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using CertPtr = std::unique_ptr<X509, X509Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;

// InvalidArgument (bad input) or Internal (OpenSSL failed) "<what>: <the
// reasons OpenSSL queued>"; empties the queue so errors never leak into the
// next call on this thread.
Status OpenSslError(StatusCode code, const std::string& what);

// `what` names the document in errors ("the CA certificate").
StatusOr<CertPtr> ReadCertificate(const std::string& pem, const std::string& what);
StatusOr<KeyPtr> ReadPrivateKey(const std::string& pem, const std::string& what);
StatusOr<std::string> WriteCertificate(X509* cert);
StatusOr<std::string> WritePrivateKey(EVP_PKEY* key);  // PKCS#8, unencrypted

StatusOr<WallTime> FromAsn1Time(const ASN1_TIME* t);
time_t ToTimeT(WallTime t);

}  // namespace tusk::tls::internal
