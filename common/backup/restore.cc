#include "common/backup/restore.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "common/backup/compression.h"
#include "common/backup/tar.h"
#include "common/pg/lsn.h"
#include "common/base/files.h"
#include "common/s3/transfer.h"

namespace tusk::backup {
namespace {

std::string Quote(const std::string& v) {
  std::string out = "'";
  for (char c : v) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

StatusOr<bool> DirIsEmpty(const std::string& path) {
  DIR* d = opendir(path.c_str());
  if (d == nullptr) return errno == ENOENT ? StatusOr<bool>(true) : ErrnoError("opening " + path, errno);
  bool empty = true;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") empty = false;
  }
  closedir(d);
  return empty;
}

}  // namespace

StatusOr<std::vector<BackupInfo>> ListBackups(s3::ObjectStore* store, const Layout& layout) {
  ASSIGN_OR_RETURN(auto listing, store->List(layout.BasePrefix(), "/"));
  std::vector<BackupInfo> out;
  for (const auto& prefix : listing.common_prefixes) {
    auto id = layout.BackupIdOf(prefix);
    if (!id) continue;
    auto text = store->Get(layout.BackupInfoKey(*id));
    if (!text.ok()) continue;  // a backup still uploading has no backup.info yet
    auto info = ParseBackupInfo(*text);
    if (!info.ok() || info->status != "DONE") continue;
    info->backup_id = *id;
    out.push_back(std::move(*info));
  }
  std::sort(out.begin(), out.end(), [](const BackupInfo& a, const BackupInfo& b) { return a.backup_id < b.backup_id; });
  return out;
}

StatusOr<BackupInfo> ChooseBackup(const std::vector<BackupInfo>& backups, const std::string& backup_id,
                                  const RecoveryTarget& target) {
  if (backups.empty()) return NotFoundError("there is no completed backup in the object store");
  if (!backup_id.empty() && backup_id != "latest") {
    for (const auto& b : backups) {
      if (b.backup_id == backup_id || (!b.backup_name.empty() && b.backup_name == backup_id)) return b;
    }
    return NotFoundError("backup '" + backup_id + "' is not in the object store (or not DONE)");
  }
  if (target.kind == RecoveryTarget::Kind::kTime) {
    ASSIGN_OR_RETURN(auto when, ParseTimestamp(target.value));
    for (auto it = backups.rbegin(); it != backups.rend(); ++it) {
      auto end = ParseTimestamp(it->end_time);
      if (end.ok() && *end <= when) return *it;
    }
    return NotFoundError("no backup ended before the target time " + target.value + "; pick an earlier target");
  }
  if (target.kind == RecoveryTarget::Kind::kLsn) {
    ASSIGN_OR_RETURN(pg::Lsn lsn, pg::Lsn::Parse(target.value));
    for (auto it = backups.rbegin(); it != backups.rend(); ++it) {
      auto end = pg::Lsn::Parse(it->end_xlog);
      if (end.ok() && *end <= lsn) return *it;
    }
    return NotFoundError("no backup ended before the target LSN " + target.value);
  }
  return backups.back();
}

std::string RecoveryConf(const RecoveryTarget& t, const std::string& restore_command) {
  std::string conf = "# Recovery settings written by tusk restore\n";
  conf += "restore_command = " + Quote(restore_command) + "\n";
  conf += "recovery_target_timeline = " + Quote(t.timeline.empty() ? "latest" : t.timeline) + "\n";
  switch (t.kind) {
    case RecoveryTarget::Kind::kLatest: return conf;
    case RecoveryTarget::Kind::kTime: conf += "recovery_target_time = " + Quote(t.value) + "\n"; break;
    case RecoveryTarget::Kind::kLsn: conf += "recovery_target_lsn = " + Quote(t.value) + "\n"; break;
    case RecoveryTarget::Kind::kXid: conf += "recovery_target_xid = " + Quote(t.value) + "\n"; break;
    case RecoveryTarget::Kind::kName: conf += "recovery_target_name = " + Quote(t.value) + "\n"; break;
    case RecoveryTarget::Kind::kImmediate: conf += "recovery_target = 'immediate'\n"; break;
  }
  if (t.kind != RecoveryTarget::Kind::kName && t.kind != RecoveryTarget::Kind::kImmediate) {
    conf += std::string("recovery_target_inclusive = ") + (t.inclusive ? "on" : "off") + "\n";
  }
  conf += "recovery_target_action = 'promote'\n";
  return conf;
}

StatusOr<RestoreResult> RestoreBackup(s3::ObjectStore* store, const Layout& layout, const RestoreOptions& o) {
  ASSIGN_OR_RETURN(bool empty, DirIsEmpty(o.pgdata));
  if (!empty) return FailedPreconditionError(o.pgdata + " is not empty: restore only into an empty data directory");
  ASSIGN_OR_RETURN(auto backups, ListBackups(store, layout));
  ASSIGN_OR_RETURN(BackupInfo chosen, ChooseBackup(backups, o.backup_id, o.target));
  ASSIGN_OR_RETURN(auto files, store->List(layout.BackupPrefix(chosen.backup_id)));
  const s3::ObjectInfo* data = nullptr;
  Codec codec = Codec::kNone;
  for (const auto& f : files.objects) {
    std::string base = f.key.substr(f.key.rfind('/') + 1);
    if (base.rfind("data.tar", 0) != 0) continue;
    auto c = CodecFromExtension(base.substr(8));
    if (!c) {
      return UnimplementedError("backup " + chosen.backup_id + " holds " + base + ", a format Tusk cannot read");
    }
    data = &f;
    codec = *c;
  }
  if (data == nullptr) return NotFoundError("backup " + chosen.backup_id + " has no data.tar");
  for (const auto& f : files.objects) {
    std::string base = f.key.substr(f.key.rfind('/') + 1);
    if (base != "backup.info" && base.rfind("data.tar", 0) != 0) {
      return UnimplementedError("backup " + chosen.backup_id + " has " + base +
                                " (tablespaces or split archives), which restore does not support yet");
    }
  }
  RETURN_IF_ERROR(MakeDirs(o.pgdata, 0700));
  ASSIGN_OR_RETURN(auto decoder, MakeDecompressor(codec));
  TarExtractor tar(o.pgdata);
  std::string plain;
  const auto started = std::chrono::steady_clock::now();
  Status s = s3::ParallelDownload(store, data->key, data->size, o.chunk_size, o.jobs, [&](std::string_view piece) {
    if (codec == Codec::kNone) return tar.Write(piece);  // no copy through a pass-through decoder
    plain.clear();
    RETURN_IF_ERROR(decoder->Write(piece, &plain));
    return tar.Write(plain);
  });
  if (s.ok()) {
    plain.clear();
    s = decoder->Finish(&plain);
  }
  if (s.ok()) s = tar.Write(plain);
  if (s.ok()) s = tar.Finish();
  if (!s.ok()) return s.WithContext("restoring backup " + chosen.backup_id + " into " + o.pgdata);
  const auto extracted = std::chrono::steady_clock::now();
  RETURN_IF_ERROR(MakeDirs(o.pgdata + "/pg_wal", 0700));
  RETURN_IF_ERROR(MakeDirs(o.pgdata + "/pg_wal/archive_status", 0700));
  std::string conf;
  auto old = ReadFile(o.pgdata + "/postgresql.auto.conf");
  if (old.ok()) conf = *old;
  conf += RecoveryConf(o.target, o.restore_command);
  RETURN_IF_ERROR(WriteFile(o.pgdata + "/postgresql.auto.conf", conf, 0600));
  RETURN_IF_ERROR(WriteFile(o.pgdata + "/recovery.signal", "", 0600));
  // One syncfs instead of an fsync per file.
  int fd = ::open(o.pgdata.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::syncfs(fd);
    ::close(fd);
  }
  auto seconds = [](auto from, auto to) { return std::chrono::duration<double>(to - from).count(); };
  return RestoreResult{chosen, data->size, tar.files(), seconds(started, extracted),
                       seconds(extracted, std::chrono::steady_clock::now())};
}

}  // namespace tusk::backup
