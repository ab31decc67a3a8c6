#include "instance-manager/metrics.h"

#include <cstdio>

namespace tusk::instance {
namespace {

std::string Escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

class Writer {
 public:
  void Family(const char* name, const char* type, const char* help) {
    out_ += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  }
  void Sample(const std::string& name, const std::string& labels, double value) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.17g", value);
    out_ += name + (labels.empty() ? "" : "{" + labels + "}") + " " + buf + "\n";
  }
  std::string str() const { return out_; }

 private:
  std::string out_;
};

// -1 for "never", as CloudNativePG's pg_stat_archiver query reports it.
double SecondsOrNever(int64_t unix_ms) { return unix_ms > 0 ? unix_ms / 1000.0 : -1; }
double AgeOrNever(int64_t unix_ms, int64_t now_unix_ms) {
  return unix_ms > 0 ? (now_unix_ms - unix_ms) / 1000.0 : -1;
}

// The embedded archiver stands in for postgres' own archiver (it is what
// archive_command reaches), so its figures carry pg_stat_archiver's names.
void RenderArchiver(const v1::ArchiverStatus& a, int64_t now_unix_ms, Writer* w) {
  w->Family("cnpg_pg_stat_archiver_archived_count", "counter", "Number of WAL files that have been successfully archived.");
  w->Sample("cnpg_pg_stat_archiver_archived_count", "", static_cast<double>(a.archived_count()));
  w->Family("cnpg_pg_stat_archiver_failed_count", "counter", "Number of failed attempts for archiving WAL files.");
  w->Sample("cnpg_pg_stat_archiver_failed_count", "", static_cast<double>(a.failed_count()));
  w->Family("cnpg_pg_stat_archiver_seconds_since_last_archival", "gauge", "Seconds since the last successful archival operation.");
  w->Sample("cnpg_pg_stat_archiver_seconds_since_last_archival", "", AgeOrNever(a.last_archived_unix_ms(), now_unix_ms));
  w->Family("cnpg_pg_stat_archiver_seconds_since_last_failure", "gauge", "Seconds since the last failed archival operation.");
  w->Sample("cnpg_pg_stat_archiver_seconds_since_last_failure", "", AgeOrNever(a.last_failed_unix_ms(), now_unix_ms));
  w->Family("cnpg_pg_stat_archiver_last_archived_time", "gauge", "Epoch of the last time WAL archiving succeeded.");
  w->Sample("cnpg_pg_stat_archiver_last_archived_time", "", SecondsOrNever(a.last_archived_unix_ms()));
  w->Family("cnpg_pg_stat_archiver_last_failed_time", "gauge", "Epoch of the last time WAL archiving failed.");
  w->Sample("cnpg_pg_stat_archiver_last_failed_time", "", SecondsOrNever(a.last_failed_unix_ms()));
  w->Family("cnpg_collector_pg_wal_archive_status", "gauge", "Number of WAL segments in the 'pg_wal/archive_status' directory (ready, done).");
  w->Sample("cnpg_collector_pg_wal_archive_status", "value=\"ready\"", a.pending_segments());
  w->Sample("cnpg_collector_pg_wal_archive_status", "value=\"done\"", a.done_segments());
  w->Family("cnpg_collector_first_recoverability_point", "gauge", "The first point of recoverability for the cluster as a unix timestamp.");
  w->Sample("cnpg_collector_first_recoverability_point", "", a.first_recoverability_unix_ms() / 1000.0);
  w->Family("tusk_archiver_oldest_ready_age_seconds", "gauge", "How long the oldest segment marked .ready has waited to be archived.");
  w->Sample("tusk_archiver_oldest_ready_age_seconds", "", a.lag_ms() / 1000.0);
}

}  // namespace

std::string RenderMetrics(const v1::InstanceStatus& s, int64_t now_unix_ms) {
  Writer w;
  const std::string cluster = "cluster=\"" + Escape(s.cluster_name()) + "\"";
  w.Family("cnpg_collector_up", "gauge", "1 if PostgreSQL is up, 0 otherwise.");
  w.Sample("cnpg_collector_up", cluster, s.postgres_running() && s.last_error().empty() ? 1 : 0);
  w.Family("cnpg_collector_fencing_on", "gauge", "1 if the instance is fenced, 0 otherwise.");
  w.Sample("cnpg_collector_fencing_on", "", s.fenced() ? 1 : 0);
  w.Family("cnpg_collector_postgres_version", "gauge", "Postgres version.");
  w.Sample("cnpg_collector_postgres_version", "full=\"" + Escape(s.postgres_version()) + "\"," + cluster, 1);
  w.Family("cnpg_collector_pending_restart", "gauge", "1 if a parameter change needs a restart.");
  w.Sample("cnpg_collector_pending_restart", "", s.pending_restart() ? 1 : 0);
  w.Family("cnpg_collector_config_refused", "gauge", "1 if the last desired configuration was refused.");
  w.Sample("cnpg_collector_config_refused", "", s.config_error().empty() ? 0 : 1);
  if (s.has_archiver()) RenderArchiver(s.archiver(), now_unix_ms, &w);
  if (!s.postgres_running()) return w.str();

  w.Family("cnpg_pg_postmaster_start_time", "gauge", "Time at which postgres started (seconds since epoch).");
  w.Sample("cnpg_pg_postmaster_start_time", "", s.postmaster_start_unix_ms() / 1000.0);
  w.Family("cnpg_pg_replication_in_recovery", "gauge", "Whether the instance is in recovery.");
  w.Sample("cnpg_pg_replication_in_recovery", "", s.in_recovery() ? 1 : 0);
  w.Family("cnpg_pg_replication_lag", "gauge", "Replication lag behind primary in seconds.");
  double lag = 0;
  if (s.in_recovery() && s.last_replay_unix_ms() > 0 && s.received_lsn() != s.replayed_lsn()) {
    lag = (now_unix_ms - s.last_replay_unix_ms()) / 1000.0;
  }
  w.Sample("cnpg_pg_replication_lag", "", lag);
  w.Family("cnpg_pg_replication_is_wal_receiver_up", "gauge", "Whether the instance wal_receiver is up.");
  w.Sample("cnpg_pg_replication_is_wal_receiver_up", "", s.wal_receiver().status() == "streaming" ? 1 : 0);
  w.Family("cnpg_pg_replication_streaming_replicas", "gauge", "Number of streaming replicas connected to the instance.");
  int streaming = 0;
  for (const auto& sb : s.standbys()) streaming += sb.state() == "streaming";
  w.Sample("cnpg_pg_replication_streaming_replicas", "", streaming);
  w.Family("cnpg_pg_stat_replication_replay_diff_bytes", "gauge", "Difference in bytes from the last write-ahead log location replayed by the standby.");
  for (const auto& sb : s.standbys()) {
    w.Sample("cnpg_pg_stat_replication_replay_diff_bytes",
             "application_name=\"" + Escape(sb.application_name()) + "\"", static_cast<double>(sb.replay_lag_bytes()));
  }
  w.Family("cnpg_pg_stat_replication_replay_lag_seconds", "gauge", "Time elapsed between flushing recent WAL locally and receiving notification that the standby has replayed it.");
  for (const auto& sb : s.standbys()) {
    w.Sample("cnpg_pg_stat_replication_replay_lag_seconds",
             "application_name=\"" + Escape(sb.application_name()) + "\"", sb.replay_lag_us() / 1e6);
  }
  w.Family("cnpg_pg_replication_slots_pg_wal_lsn_diff", "gauge", "WAL retained by the replication slot, in bytes.");
  for (const auto& sl : s.replication_slots()) {
    w.Sample("cnpg_pg_replication_slots_pg_wal_lsn_diff",
             "slot_name=\"" + Escape(sl.slot_name()) + "\",slot_type=\"" + Escape(sl.slot_type()) + "\"",
             static_cast<double>(sl.retained_bytes()));
  }
  w.Family("cnpg_pg_timeline_id", "gauge", "Current timeline ID.");
  w.Sample("cnpg_pg_timeline_id", "", s.timeline_id());
  return w.str();
}

}  // namespace tusk::instance
