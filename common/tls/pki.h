// A minimal PKI for a Cluster: ECDSA P-256 keys, a self-signed CA, and leaf
// certificates it signs (the server's, the streaming_replica client's), all as
// PEM strings. Time is an argument, never read here, so validity and renewal
// are decided by the caller's clock and tested without waiting.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/base/clock.h"
#include "common/base/status.h"

namespace tusk::tls {

// CloudNativePG's CERTIFICATE_DURATION and EXPIRING_CHECK_THRESHOLD defaults.
inline constexpr Duration kCertificateLifetime = std::chrono::hours(24 * 90);
inline constexpr Duration kRenewBefore = std::chrono::hours(24 * 7);
// Certificates are valid from this long before `now`: a node whose clock runs
// a little behind the operator's would otherwise refuse a fresh certificate.
inline constexpr Duration kBackdate = std::chrono::minutes(5);

// A certificate and the private key it certifies, both PEM.
struct CertifiedKey {
  std::string certificate;
  std::string private_key;
};

enum class Usage {
  kServer,  // extendedKeyUsage serverAuth: a TLS server, its names as DNS SANs
  kClient,  // extendedKeyUsage clientAuth: a TLS client identified by its CN
};

struct CertificateRequest {
  std::string common_name;
  std::vector<std::string> dns_names;  // subjectAltName; empty: none
  Usage usage = Usage::kServer;
  Duration lifetime = kCertificateLifetime;
};

// A self-signed CA (basicConstraints CA:TRUE, keyCertSign) valid from
// now - kBackdate to now + lifetime.
StatusOr<CertifiedKey> CreateCa(const std::string& common_name, WallTime now, Duration lifetime = kCertificateLifetime);

// A new key and its certificate signed by `ca`, valid from now - kBackdate to
// now + request.lifetime. Fails if the CA's key and certificate do not belong
// together, or a DNS name is not one.
StatusOr<CertifiedKey> IssueCertificate(const CertifiedKey& ca, const CertificateRequest& request, WallTime now);

// True once `now` is within `renew_before` of `not_after`, or past it.
bool NeedsRenewal(WallTime not_after, WallTime now, Duration renew_before = kRenewBefore);

}  // namespace tusk::tls
