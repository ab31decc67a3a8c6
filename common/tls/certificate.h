// Reading certificates back: what a PEM says (names, validity, key
// fingerprint) and whether it is one a CA signed, valid at a given time. The
// operator uses it to decide renewal and to check user-provided secrets.
#pragma once

#include <string>
#include <vector>

#include "common/base/clock.h"
#include "common/base/status.h"

namespace tusk::tls {

struct CertificateInfo {
  std::string common_name;         // subject CN
  std::string issuer_common_name;  // issuer CN
  std::vector<std::string> dns_names;
  WallTime not_before, not_after;
  bool is_ca = false;
  bool server_auth = false, client_auth = false;  // extendedKeyUsage
  // Lower-case hex SHA-256 of the DER SubjectPublicKeyInfo: the key's
  // identity, unchanged when a certificate is re-issued for the same key.
  std::string public_key_sha256;
};

// The first certificate of `pem`. InvalidArgument when it is not a readable
// PEM certificate.
StatusOr<CertificateInfo> ParseCertificate(const std::string& pem);

// OK when `pem` is signed by the CA in `ca_pem` and valid at `at`;
// InvalidArgument naming the reason ("certificate signature failure",
// "certificate has expired", ...) otherwise.
Status VerifyCertificate(const std::string& pem, const std::string& ca_pem, WallTime at);

// OK when `key_pem` is the private key of the certificate in `certificate_pem`.
Status CheckKeyPair(const std::string& certificate_pem, const std::string& key_pem);

}  // namespace tusk::tls
