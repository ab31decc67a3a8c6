// Puts a rendered configuration into PGDATA: custom.conf, override.conf,
// pg_hba.conf, pg_ident.conf (each written atomically), the include lines in
// postgresql.conf and standby.signal. Before a change reaches a running
// server, postgres itself checks the candidate (postgres -C), so a bad value
// is refused and the last good files stay in place.
#pragma once

#include <string>

#include "common/base/status.h"
#include "common/pg/cluster_view.h"
#include "common/pg/config_render.h"
#include "instance-manager/options.h"
#include "instance-manager/pg_tools.h"

namespace tusk::instance {

// What the renderer needs to know about this pod, from flags and the
// Cluster (upstream = the current primary's address).
pg::InstanceContext MakeContext(const Options& options, const pg::ClusterView& cluster, bool primary);

// Asks postgres to parse the candidate files (staged outside PGDATA); the
// error is postgres's own message, e.g. invalid value for parameter
// "work_mem": "banana".
Status CheckWithPostgres(const pg::RenderedConfig& config, PgTools& tools);

// The messages in postgres's output ("invalid value for parameter ...;
// configuration file "custom.conf" contains errors"), without timestamps
// and with `strip` (the staging directory) removed.
std::string PostgresComplaints(const std::string& output, const std::string& strip);

// Writes the four files, the include lines and standby.signal (created for
// a standby; never removed here: promotion removes it).
Status WriteConfigFiles(const pg::RenderedConfig& config, PgTools& tools);

// Clears what pg_basebackup -R and pg_rewind leave in postgresql.auto.conf,
// which would otherwise override override.conf.
Status ResetAutoConf(PgTools& tools);

}  // namespace tusk::instance
