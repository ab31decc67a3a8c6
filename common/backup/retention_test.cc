#include "common/backup/retention.h"

#include <catch2/catch.hpp>

namespace tusk::backup {
namespace {

BackupInfo Backup(const std::string& id, const std::string& end, const std::string& begin_wal,
                  const std::string& status = "DONE") {
  BackupInfo b;
  b.backup_id = id;
  b.end_time = end;
  b.begin_wal = begin_wal;
  b.status = status;
  return b;
}

TEST_CASE("retention keeps the window plus the backup that reaches its start") {
  auto now = *ParseTimestamp("2026-11-25 00:00:00+00:00");
  std::vector<BackupInfo> backups = {
      Backup("20261001T000000", "2026-10-01 00:10:00+00:00", "000000010000000000000010"),
      Backup("20261020T000000", "2026-10-20 00:10:00+00:00", "000000010000000000000020"),
      Backup("20261021T000000", "2026-10-21 00:10:00+00:00", "", "FAILED"),
      Backup("20261110T000000", "2026-11-10 00:10:00+00:00", "000000010000000000000030"),
  };
  std::vector<std::string> wal = {"p/s/wals/0000000100000000/00000001000000000000000F.gz",
                                  "p/s/wals/0000000100000000/000000010000000000000020.gz",
                                  "p/s/wals/0000000100000000/00000001000000000000001F.00000028.backup",
                                  "p/s/wals/00000002.history", "p/s/wals/0000000100000000/000000010000000000000031"};
  auto plan = PlanRetention(backups, wal, now, *ParseRetentionPolicy("30d"));
  // 20261020 ended before the 30-day horizon but is the base for it: kept.
  CHECK(plan.delete_backups == std::vector<std::string>{"20261001T000000"});
  CHECK(plan.first_recoverable_wal == "000000010000000000000020");
  CHECK(plan.delete_wal_keys == std::vector<std::string>{wal[0], wal[2]});
}

TEST_CASE("retention never deletes when nothing would remain recoverable") {
  auto now = *ParseTimestamp("2026-11-25 00:00:00+00:00");
  auto plan = PlanRetention({Backup("20260101T000000", "", "", "FAILED")}, {"p/s/wals/0000000100000000/000000010000000000000001"},
                            now, std::chrono::hours(24));
  CHECK(plan.delete_backups.empty());
  CHECK(plan.delete_wal_keys.empty());
  CHECK(!ParseRetentionPolicy("30x").ok());
  CHECK(ParseRetentionPolicy("4w")->count() == 4 * 7 * 86400);
}

}  // namespace
}  // namespace tusk::backup
