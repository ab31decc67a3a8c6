// The one-shot commands that create a data directory: `init` (initdb a new
// primary with checksums, the superuser, streaming_replica and the
// application database and owner) and `join` (pg_basebackup from the
// current primary, then the standby configuration).
#pragma once

#include "common/base/status.h"
#include "common/log/log.h"
#include "instance-manager/options.h"
#include "instance-manager/pg_tools.h"

namespace tusk::instance {

// The Cluster from --cluster-file, or a one-instance Cluster named after
// the pod when no file is given (init only).
StatusOr<pg::ClusterView> LoadCluster(const Options& options);

// SQL run once in single-user mode after initdb (pure, for tests).
std::string BootstrapSql(const Options& options, const std::string& superuser_password,
                         const std::string& app_password);

Status RunInit(const Options& options, PgTools& tools, const log::Logger& logger);
Status RunJoin(const Options& options, PgTools& tools, const log::Logger& logger);

// pg_rewind PGDATA against the current primary (PGDATA must be stopped),
// then the standby configuration. "No rewind required" is success.
Status RewindToStandby(const Options& options, const pg::ClusterView& cluster, PgTools& tools,
                       const log::Logger& logger);

}  // namespace tusk::instance
