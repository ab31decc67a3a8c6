// The one-shot commands that create a data directory: `init` (initdb a new
// primary as spec.bootstrap.initdb asks: roles, the application database and
// owner, the post-init SQL) and `join` (pg_basebackup from the current
// primary, then the standby configuration). In a pod they are init
// containers, run on every start: a complete PGDATA makes them no-ops.
#pragma once

#include <string>
#include <vector>

#include "common/api/cluster.h"
#include "common/base/clock.h"
#include "common/base/status.h"
#include "common/log/log.h"
#include "common/pg/cluster_view.h"
#include "instance-manager/options.h"
#include "instance-manager/pg_tools.h"

namespace tusk::instance {

// The Cluster from --cluster-file or the API server (waiting a bounded time
// for its first answer), defaulted and validated.
StatusOr<api::Cluster> LoadCluster(const Options& options, Clock& clock);

// initdb's arguments for `pgdata` from spec.bootstrap.initdb (pure).
std::vector<std::string> InitdbArgs(const api::ClusterSpec& spec, const std::string& pgdata);

// One batch of statements for postgres in single-user mode.
struct SqlStep {
  std::string database;
  std::string sql;
};
// What runs after initdb, in CloudNativePG's order: the roles and
// postInitSQL in postgres, postInitTemplateSQL in template1, the application
// database, then postInitApplicationSQL in it (pure). The superuser gets a
// password only with enableSuperuserAccess; an empty password is NULL.
std::vector<SqlStep> BootstrapSteps(const api::ClusterSpec& spec, const std::string& superuser_password,
                                    const std::string& app_password);

// Where init and join build a data directory before renaming it to PGDATA.
std::string StagingDir(const std::string& pgdata);

Status RunInit(const Options& options, PgTools& tools, Clock& clock, const log::Logger& logger);
Status RunJoin(const Options& options, PgTools& tools, Clock& clock, const log::Logger& logger);

// pg_rewind PGDATA against the current primary (PGDATA must be stopped),
// then the standby configuration. "No rewind required" is success.
Status RewindToStandby(const Options& options, const pg::ClusterView& cluster, PgTools& tools,
                       const log::Logger& logger);

}  // namespace tusk::instance
