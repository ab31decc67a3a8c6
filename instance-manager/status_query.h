// The instance's postgres-side status in one round trip: a single SELECT
// returning one JSON document (recovery state, LSNs, timeline, WAL
// receiver, walsenders, slots), and its pure translation into the
// InstanceStatus message. Pending restarts change only on reload and are
// read by the manager's reconcile instead (pg_settings is costly).
#pragma once

#include <string>

#include "common/base/status.h"
#include "tusk/proto/instance.pb.h"

namespace tusk::instance {

// The query; works on a primary and on a standby (functions that fail in
// recovery sit behind CASE, which PostgreSQL evaluates lazily).
extern const char kStatusQuery[];

// Fills the postgres-side fields of `out` from the query's JSON text.
Status ParseStatusJson(const std::string& json_text, v1::InstanceStatus* out);

}  // namespace tusk::instance
