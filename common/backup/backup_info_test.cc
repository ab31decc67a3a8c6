#include "common/backup/backup_info.h"

#include <catch2/catch.hpp>

#include "common/backup/restore.h"
#include "common/base/clock.h"

namespace tusk::backup {
namespace {

TEST_CASE("backup.info is written with sorted, barman 3.0 keys and read back") {
  BackupInfo i;
  i.backup_label = "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\nLABEL: it's\n";
  i.begin_time = "2026-11-25 10:53:11.123456+00:00";
  i.begin_wal = "000000010000000000000002";
  i.begin_xlog = "0/2000028";
  i.begin_offset = 40;
  i.end_wal = "000000010000000000000002";
  i.end_xlog = "0/2000100";
  i.end_time = "2026-11-25 10:53:12.000000+00:00";
  i.status = "DONE";
  i.systemid = "7311111111111111111";
  i.version = 150018;
  i.size = 123;
  i.copy_seconds = 12.5;
  i.workers = 3;
  std::string text = RenderBackupInfo(i);
  CHECK(text.find("backup_label='START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\\nLABEL: it\\'s\\n'\n") !=
        std::string::npos);
  CHECK(text.find("server_name=cloud\n") != std::string::npos);
  CHECK(text.find("error=None\n") != std::string::npos);
  // Keys sorted, and none newer than barman 3.0's set (backup_name aside).
  std::vector<std::string> keys;
  for (size_t pos = 0; pos < text.size(); pos = text.find('\n', pos) + 1) keys.push_back(text.substr(pos, text.find('=', pos) - pos));
  CHECK(std::is_sorted(keys.begin(), keys.end()));
  CHECK(std::find(keys.begin(), keys.end(), "cluster_size") == keys.end());
  auto back = ParseBackupInfo(text);
  REQUIRE(back.ok());
  CHECK(back->backup_label == i.backup_label);
  CHECK(back->status == "DONE");
  CHECK(back->end_xlog == "0/2000100");
  CHECK(back->size == i.size);
  CHECK(back->copy_seconds == 12.5);
  CHECK(back->workers == 3);
  CHECK(back->error.empty());
}

TEST_CASE("timestamps parse with offsets, fractions and UTC") {
  auto a = ParseTimestamp("2026-11-25 10:53:11.5+00:00");
  auto b = ParseTimestamp("2026-11-25 11:53:11.500000+01:00");
  auto c = ParseTimestamp("2026-11-25 10:53:11.5 UTC");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(c.ok());
  CHECK(*a == *b);
  CHECK(*a == *c);
  CHECK(PythonTime(*a) == "2026-11-25 10:53:11.500000+00:00");
  CHECK(!ParseTimestamp("yesterday").ok());
  // As PostgreSQL prints a timestamptz, and without a zone (read as UTC).
  CHECK(ParseTimestamp("2026-11-25 11:53:11.5+01").value_or(WallTime()) == *a);
  CHECK(ParseTimestamp("2026-11-25 11:53:11.5+0100").value_or(WallTime()) == *a);
  CHECK(ParseTimestamp("2026-11-25 10:53:11.5").value_or(WallTime()) == *a);
  CHECK(ParseTimestamp("2026-11-25T10:53:11.5Z").value_or(WallTime()) == *a);
  CHECK(ParseTimestamp("2026-11-25 10:53:11 Europe/Paris").status().code() == StatusCode::kInvalidArgument);
  CHECK(!ParseTimestamp("2026-02-30 10:53:11+00:00").ok());
}

TEST_CASE("the backup for a target is the newest that ended before it") {
  std::vector<BackupInfo> backups(3);
  const char* ids[] = {"20261101T000000", "20261110T000000", "20261120T000000"};
  const char* ends[] = {"2026-11-01 00:10:00+00:00", "2026-11-10 00:10:00+00:00", "2026-11-20 00:10:00+00:00"};
  const char* lsns[] = {"0/3000000", "0/9000000", "1/0"};
  for (int k = 0; k < 3; ++k) {
    backups[k].backup_id = ids[k];
    backups[k].end_time = ends[k];
    backups[k].end_xlog = lsns[k];
  }
  RecoveryTarget t;
  CHECK(ChooseBackup(backups, "", t)->backup_id == ids[2]);
  t.kind = RecoveryTarget::Kind::kTime;
  t.value = "2026-11-15 00:00:00+00:00";
  CHECK(ChooseBackup(backups, "", t)->backup_id == ids[1]);
  t.value = "2026-10-01 00:00:00+00:00";
  CHECK(ChooseBackup(backups, "", t).status().code() == StatusCode::kNotFound);
  t.kind = RecoveryTarget::Kind::kLsn;
  t.value = "0/A000000";
  CHECK(ChooseBackup(backups, "", t)->backup_id == ids[1]);
  CHECK(ChooseBackup(backups, ids[0], t)->backup_id == ids[0]);
  CHECK(!ChooseBackup({}, "", t).ok());
}

TEST_CASE("recovery settings name one target and promote") {
  RecoveryTarget t;
  t.kind = RecoveryTarget::Kind::kXid;
  t.value = "742";
  std::string conf = RecoveryConf(t, "tusk-instance wal-restore %f %p");
  CHECK(conf.find("restore_command = 'tusk-instance wal-restore %f %p'") != std::string::npos);
  CHECK(conf.find("recovery_target_xid = '742'") != std::string::npos);
  CHECK(conf.find("recovery_target_action = 'promote'") != std::string::npos);
  CHECK(conf.find("recovery_target_timeline = 'latest'") != std::string::npos);
  RecoveryTarget latest;
  CHECK(RecoveryConf(latest, "x").find("recovery_target_action") == std::string::npos);
  RecoveryTarget name;
  name.kind = RecoveryTarget::Kind::kName;
  name.value = "before 'upgrade'";
  CHECK(RecoveryConf(name, "x").find("recovery_target_name = 'before ''upgrade'''") != std::string::npos);
}

}  // namespace
}  // namespace tusk::backup
