// Prometheus text exposition of an InstanceStatus, with CloudNativePG's
// metric names where one exists (cnpg_collector_up, cnpg_pg_replication_lag,
// cnpg_pg_postmaster_start_time, cnpg_pg_stat_archiver_*,
// cnpg_collector_first_recoverability_point, ...), so its dashboards keep
// working. Pure.
#pragma once

#include <string>

#include "tusk/proto/instance.pb.h"

namespace tusk::instance {

std::string RenderMetrics(const v1::InstanceStatus& status, int64_t now_unix_ms);

}  // namespace tusk::instance
