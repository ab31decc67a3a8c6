// The archiver's part of the status and /metrics: archive_status scanned
// from a real directory, joined with the archiver's figures, rendered under
// CloudNativePG's metric names.
#include <fcntl.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "common/base/files.h"
#include "instance-manager/archive_status.h"
#include "instance-manager/metrics.h"

namespace tusk::instance {
namespace {

using Clock = std::chrono::system_clock;

void Touch(const std::string& path, Clock::time_point mtime) {
  REQUIRE(WriteFile(path, "").ok());
  auto since = mtime.time_since_epoch();
  auto sec = std::chrono::duration_cast<std::chrono::seconds>(since);
  timespec ts[2];
  ts[0].tv_sec = ts[1].tv_sec = sec.count();
  ts[0].tv_nsec = ts[1].tv_nsec = 0;
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), ts, 0) == 0);
}

bool HasLine(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("archive_status: waiting and archived segments are counted, the oldest wait is measured") {
  auto dir = TempDir::Make("tusk-archive-status");
  REQUIRE(dir.ok());
  const std::string status_dir = dir->Sub("pgdata/pg_wal/archive_status");
  REQUIRE(MakeDirs(status_dir).ok());
  const Clock::time_point now = Clock::from_time_t(1'800'000'000);
  Touch(status_dir + "/000000010000000000000007.ready", now - std::chrono::seconds(30));
  Touch(status_dir + "/000000010000000000000008.ready", now - std::chrono::seconds(4));
  Touch(status_dir + "/000000010000000000000005.done", now - std::chrono::seconds(90));
  Touch(status_dir + "/000000010000000000000006.done", now - std::chrono::seconds(60));
  Touch(status_dir + "/000000010000000000000004.done", now - std::chrono::seconds(120));

  ArchiveQueue q = ScanArchiveQueue(dir->Sub("pgdata"));
  CHECK(q.ready == 2);
  CHECK(q.done == 3);
  CHECK(q.oldest_ready == now - std::chrono::seconds(30));

  backup::ArchiverStats stats;
  stats.last_archived_wal = "000000010000000000000006";
  stats.last_archived_time = now - std::chrono::seconds(5);
  stats.archived_count = 6;
  stats.failed_count = 1;
  stats.last_failed_wal = "000000010000000000000003";
  stats.last_failed_time = now - std::chrono::seconds(300);
  stats.last_error = "PUT s3://tusk/...: the object store is unavailable";
  backup::RecoverabilityStats rec;
  rec.first_recoverability_point = now - std::chrono::hours(24);
  rec.last_backup_id = "20261125T100000";

  v1::ArchiverStatus a = MakeArchiverStatus(stats, rec, q, now);
  CHECK(a.last_archived_wal() == "000000010000000000000006");
  CHECK(a.last_archived_unix_ms() == 1'799'999'995'000);
  CHECK(a.last_failed_wal() == "000000010000000000000003");
  CHECK(a.last_failed_unix_ms() == 1'799'999'700'000);
  CHECK(a.archived_count() == 6);
  CHECK(a.failed_count() == 1);
  CHECK(a.last_error() == stats.last_error);
  CHECK(a.pending_segments() == 2);
  CHECK(a.done_segments() == 3);
  CHECK(a.lag_ms() == 30'000);
  CHECK(a.first_recoverability_unix_ms() == 1'799'913'600'000);
  CHECK(a.last_backup_id() == "20261125T100000");

  v1::InstanceStatus s;
  s.set_cluster_name("pg");
  *s.mutable_archiver() = a;
  const std::string m = "\n" + RenderMetrics(s, 1'800'000'000'000);
  CHECK(HasLine(m, "cnpg_pg_stat_archiver_archived_count 6"));
  CHECK(HasLine(m, "cnpg_pg_stat_archiver_failed_count 1"));
  CHECK(HasLine(m, "cnpg_pg_stat_archiver_seconds_since_last_archival 5"));
  CHECK(HasLine(m, "cnpg_pg_stat_archiver_seconds_since_last_failure 300"));
  CHECK(HasLine(m, "cnpg_pg_stat_archiver_last_archived_time 1799999995"));
  CHECK(HasLine(m, "cnpg_pg_stat_archiver_last_failed_time 1799999700"));
  CHECK(HasLine(m, "cnpg_collector_pg_wal_archive_status{value=\"ready\"} 2"));
  CHECK(HasLine(m, "cnpg_collector_pg_wal_archive_status{value=\"done\"} 3"));
  CHECK(HasLine(m, "cnpg_collector_first_recoverability_point 1799913600"));
  CHECK(HasLine(m, "tusk_archiver_oldest_ready_age_seconds 30"));
}

TEST_CASE("archive_status: nothing archived yet reads as never, not as the epoch") {
  ArchiveQueue q = ScanArchiveQueue("/nonexistent/pgdata");
  CHECK(q.ready == 0);
  CHECK(q.done == 0);
  v1::InstanceStatus s;
  *s.mutable_archiver() = MakeArchiverStatus({}, {}, q, Clock::now());
  CHECK(s.archiver().lag_ms() == 0);
  const std::string m = "\n" + RenderMetrics(s, 1'800'000'000'000);
  CHECK(HasLine(m, "cnpg_pg_stat_archiver_archived_count 0"));
  CHECK(HasLine(m, "cnpg_pg_stat_archiver_seconds_since_last_archival -1"));
  CHECK(HasLine(m, "cnpg_pg_stat_archiver_last_archived_time -1"));
  CHECK(HasLine(m, "cnpg_collector_first_recoverability_point 0"));
}

TEST_CASE("archive_status: an instance without an archiver exports no archiver metrics") {
  v1::InstanceStatus s;
  s.set_cluster_name("pg");
  CHECK(RenderMetrics(s, 0).find("cnpg_pg_stat_archiver") == std::string::npos);
}

}  // namespace tusk::instance
