// The pod's certificate secrets are mounted read-only at
// --certificates-source and readable by more than their owner; postgres
// refuses such a private key, so init, join and run copy them into
// --certificates-dir with mode 0600, owned by the postgres user.
#pragma once

#include "common/base/status.h"
#include "instance-manager/options.h"
#include "instance-manager/pg_tools.h"

namespace tusk::instance {

// The files the renderer points postgres at (server side, client-CA) and the
// standby's streaming_replica client certificate, as the operator mounts them.
inline constexpr const char* kCertificateFiles[] = {
    "server.crt", "server.key", "streaming_replica.crt", "streaming_replica.key", "server-ca.crt", "client-ca.crt",
};

// Copies every file when replication authenticates with certificates and a
// source is set; does nothing otherwise. A missing file is NotFound naming it.
Status InstallCertificates(const Options& options, PgTools& tools);

}  // namespace tusk::instance
