// The cluster's TLS material, created with OpenSSL on first start: a CA and
// a serving certificate signed by it (EC P-256) for 127.0.0.1/localhost, the
// `kubernetes` Service's names and ClusterIP, and the host's pod-network address.
#pragma once

#include <string>

#include "common/base/status.h"

namespace tusk::localkube {

struct Pki {
  std::string ca_cert_path;
  std::string server_cert_path;
  std::string server_key_path;
};

// Creates `dir`/{ca.crt,ca.key,apiserver.crt,apiserver.key} unless they
// exist; returns their paths.
StatusOr<Pki> EnsurePki(const std::string& dir);

}  // namespace tusk::localkube
