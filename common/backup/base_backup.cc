#include "common/backup/base_backup.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <thread>

#include "common/pg/connection.h"
#include "common/pg/lsn.h"
#include "common/backup/tar.h"
#include "common/s3/transfer.h"

namespace tusk::backup {
namespace {

bool StartsWith(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

std::string Basename(const std::string& p) { return p.substr(p.rfind('/') == std::string::npos ? 0 : p.rfind('/') + 1); }

bool IsTempRelation(const std::string& name) {
  // t<digits>_<digits>[.<segment>|_<fork>]
  if (name.size() < 4 || name[0] != 't' || !std::isdigit(static_cast<unsigned char>(name[1]))) return false;
  size_t i = 1;
  while (i < name.size() && std::isdigit(static_cast<unsigned char>(name[i]))) ++i;
  return i < name.size() && name[i] == '_' && i + 1 < name.size() && std::isdigit(static_cast<unsigned char>(name[i + 1]));
}

// Everything the stream needs: tar -> compressor -> multipart upload.
class Pipeline {
 public:
  Pipeline(std::unique_ptr<Transform> codec, s3::StreamingUpload* upload)
      : codec_(std::move(codec)), upload_(upload), tar_([this](std::string_view b) { return Push(b); }) {}
  TarWriter& tar() { return tar_; }
  Status Finish() {
    RETURN_IF_ERROR(tar_.Finish());
    out_.clear();
    RETURN_IF_ERROR(codec_->Finish(&out_));
    RETURN_IF_ERROR(upload_->Write(out_));
    return upload_->Finish();
  }

 private:
  Status Push(std::string_view bytes) {
    out_.clear();
    RETURN_IF_ERROR(codec_->Write(bytes, &out_));
    return out_.empty() ? OkStatus() : upload_->Write(out_);
  }
  std::unique_ptr<Transform> codec_;
  s3::StreamingUpload* upload_;
  TarWriter tar_;
  std::string out_;
};

struct Walker {
  std::string root;
  uid_t uid = 0;
  gid_t gid = 0;
  TarWriter* tar;
  std::string buf = std::string(1 << 20, '\0');

  Status AddFile(const std::string& rel, const struct stat& st) {
    int fd = ::open((root + "/" + rel).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return OkStatus();  // dropped while we walked: WAL replay agrees
      return ErrnoError("reading " + root + "/" + rel, errno);
    }
    TarEntry e{rel, '0', static_cast<uint64_t>(st.st_size), st.st_mode & 07777, st.st_uid, st.st_gid, st.st_mtime, ""};
    Status s = tar->Begin(e);
    uint64_t left = e.size;
    while (s.ok() && left > 0) {
      ssize_t n = ::read(fd, buf.data(), std::min<uint64_t>(buf.size(), left));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        s = ErrnoError("reading " + rel, errno);
        break;
      }
      if (n == 0) {
        // Truncated while we read: pad with zeros, replay rewrites the pages.
        std::fill(buf.begin(), buf.end(), '\0');
        while (s.ok() && left > 0) {
          size_t take = std::min<uint64_t>(buf.size(), left);
          s = tar->Data(std::string_view(buf.data(), take));
          left -= take;
        }
        break;
      }
      s = tar->Data(std::string_view(buf.data(), static_cast<size_t>(n)));
      left -= static_cast<uint64_t>(n);
    }
    ::close(fd);
    RETURN_IF_ERROR(s);
    return tar->End();
  }

  Status Walk(const std::string& rel) {
    std::string dir = rel.empty() ? root : root + "/" + rel;
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) {
      if (errno == ENOENT) return OkStatus();
      return ErrnoError("listing " + dir, errno);
    }
    std::vector<std::string> names;
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    closedir(d);
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      std::string child = rel.empty() ? n : rel + "/" + n;
      struct stat st;
      if (::lstat((root + "/" + child).c_str(), &st) != 0) {
        if (errno == ENOENT) continue;
        return ErrnoError("stat " + child, errno);
      }
      bool is_dir = S_ISDIR(st.st_mode);
      Exclusion ex = ClassifyPath(child, is_dir);
      if (ex == Exclusion::kSkip) continue;
      if (rel == "pg_tblspc" && S_ISLNK(st.st_mode)) {
        return UnimplementedError("tablespaces are not supported by base backups yet (found pg_tblspc/" + n + ")");
      }
      if (is_dir) {
        TarEntry e{child, '5', 0, st.st_mode & 07777, st.st_uid, st.st_gid, st.st_mtime, ""};
        RETURN_IF_ERROR(tar->Begin(e));
        RETURN_IF_ERROR(tar->End());
        if (ex == Exclusion::kInclude) RETURN_IF_ERROR(Walk(child));
      } else if (S_ISLNK(st.st_mode)) {
        char target[4096];
        ssize_t n2 = ::readlink((root + "/" + child).c_str(), target, sizeof target - 1);
        if (n2 < 0) return ErrnoError("readlink " + child, errno);
        TarEntry e{child, '2', 0, 0777, st.st_uid, st.st_gid, st.st_mtime, std::string(target, static_cast<size_t>(n2))};
        RETURN_IF_ERROR(tar->Begin(e));
        RETURN_IF_ERROR(tar->End());
      } else if (S_ISREG(st.st_mode)) {
        RETURN_IF_ERROR(AddFile(child, st));
      }
    }
    return OkStatus();
  }
};

std::string LabelField(const std::string& label, const std::string& key) {
  size_t pos = label.find(key + ": ");
  if (pos == std::string::npos) return "";
  size_t end = label.find('\n', pos);
  return label.substr(pos + key.size() + 2, end == std::string::npos ? std::string::npos : end - pos - key.size() - 2);
}

const char kUtcNow[] = "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00:00'";

}  // namespace

Exclusion ClassifyPath(const std::string& rel, bool is_dir) {
  static const char* kSkipTop[] = {"postmaster.pid", "postmaster.opts", "postgresql.auto.conf.tmp",
                                   "current_logfiles.tmp", "backup_label", "backup_label.old", "tablespace_map",
                                   "backup_manifest", "recovery.conf", "recovery.signal", "standby.signal",
                                   "global/pg_control"};
  static const char* kEmptyDirs[] = {"pg_wal", "pg_xlog", "pg_replslot", "pg_dynshmem", "pg_notify", "pg_serial",
                                     "pg_snapshots", "pg_stat_tmp", "pg_subtrans", "log", "pg_log"};
  for (const char* s : kSkipTop) {
    if (rel == s) return Exclusion::kSkip;
  }
  if (is_dir) {
    for (const char* s : kEmptyDirs) {
      if (rel == s) return Exclusion::kKeepDirOnly;
    }
  }
  std::string base = Basename(rel);
  if (StartsWith(base, "pgsql_tmp") || base == "pg_internal.init") return Exclusion::kSkip;
  if (!is_dir && StartsWith(rel, "base/") && IsTempRelation(base)) return Exclusion::kSkip;
  return Exclusion::kInclude;
}

StatusOr<BackupInfo> TakeBaseBackup(s3::ObjectStore* store, const Layout& layout, const BaseBackupOptions& o) {
  // One session throughout: pg_backup_stop must run where pg_backup_start ran.
  pg::Connection session(o.conninfo);
  RETURN_IF_ERROR(session.Connect());
  ASSIGN_OR_RETURN(auto facts, session.Query(
      "SELECT pg_is_in_recovery()::text, current_setting('data_directory'), current_setting('server_version_num'), "
      "(SELECT system_identifier::text FROM pg_control_system()), current_setting('config_file'), "
      "current_setting('hba_file'), current_setting('ident_file'), "
      "(SELECT setting FROM pg_settings WHERE name = 'wal_segment_size')"));
  if (facts.rows.size() != 1 || facts.rows[0].size() != 8) return InternalError("the server facts query returned no row");
  auto fact = [&](size_t k) { return facts.rows[0][k].value_or(""); };
  const bool standby = fact(0) == "true";
  BackupInfo info;
  info.pgdata = fact(1);
  const std::string version = fact(2);
  if (std::from_chars(version.data(), version.data() + version.size(), info.version).ptr != version.data() + version.size()) {
    return InternalError("server_version_num '" + version + "' is not a number");
  }
  info.systemid = fact(3);
  info.config_file = fact(4);
  info.hba_file = fact(5);
  info.ident_file = fact(6);
  const std::string segment_size = fact(7);
  auto [seg_end, seg_ec] = std::from_chars(segment_size.data(), segment_size.data() + segment_size.size(),
                                           info.xlog_segment_size);
  if (seg_ec != std::errc() || seg_end != segment_size.data() + segment_size.size() ||
      !IsValidSegmentSize(info.xlog_segment_size)) {
    return InternalError("wal_segment_size '" + segment_size + "' is not a WAL segment size in bytes");
  }
  info.backup_name = o.backup_name;
  info.workers = o.jobs;
  RETURN_IF_ERROR(store->CheckBucket());

  // Ids are seconds: wait out a backup taken earlier in the same second.
  for (int i = 0; i < 3; ++i) {
    info.backup_id = BackupIdAt(std::chrono::system_clock::now());
    ASSIGN_OR_RETURN(auto existing, store->List(layout.BackupPrefix(info.backup_id)));
    if (existing.objects.empty()) break;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  const auto started = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(info.begin_time, session.Value(kUtcNow));
  ASSIGN_OR_RETURN(info.begin_xlog, session.Value("SELECT pg_backup_start($1, true)::text",
                                             {"Barman backup cloud " + info.backup_id}));

  auto fail = [&](const Status& s) -> Status {
    info.status = "FAILED";
    info.error = s.message();
    store->Put(layout.BackupInfoKey(info.backup_id), RenderBackupInfo(info)).IgnoreError();
    return s;
  };

  ASSIGN_OR_RETURN(auto codec, MakeCompressor(o.compression));
  s3::StreamingUpload upload(store, layout.DataTarKey(info.backup_id, o.compression), o.part_size, o.jobs);
  Pipeline pipe(std::move(codec), &upload);
  struct stat root_st;
  if (::stat(o.pgdata.c_str(), &root_st) != 0) return fail(ErrnoError("stat " + o.pgdata, errno));
  Walker walker{o.pgdata, root_st.st_uid, root_st.st_gid, &pipe.tar()};
  TarEntry root{".", '5', 0, root_st.st_mode & 07777, root_st.st_uid, root_st.st_gid, root_st.st_mtime, ""};
  Status s = pipe.tar().Begin(root);
  if (s.ok()) s = pipe.tar().End();
  if (s.ok()) s = walker.Walk("");
  // pg_control last, so it is at least as new as every data file before it.
  struct stat ctl;
  if (s.ok() && ::stat((o.pgdata + "/global/pg_control").c_str(), &ctl) == 0) s = walker.AddFile("global/pg_control", ctl);
  if (!s.ok()) return fail(s);

  auto stop = session.Query("SELECT lsn::text, labelfile, spcmapfile FROM pg_backup_stop(false)");
  if (!stop.ok()) return fail(stop.status());
  if (stop->rows.size() != 1 || stop->rows[0].size() != 3) return fail(InternalError("pg_backup_stop returned no row"));
  info.end_xlog = stop->rows[0][0].value_or("");
  info.backup_label = stop->rows[0][1].value_or("");
  TarEntry label{"backup_label", '0', 0, 0600, root_st.st_uid, root_st.st_gid,
                 static_cast<int64_t>(std::time(nullptr)), ""};
  s = pipe.tar().AddBytes(label, info.backup_label);
  if (s.ok()) s = pipe.Finish();
  if (!s.ok()) return fail(s);
  info.size = pipe.tar().bytes_written();
  auto end_time = session.Value(kUtcNow);
  if (!end_time.ok()) return fail(end_time.status());
  info.end_time = *end_time;

  // The label is the authority on where the backup starts.
  std::string start = LabelField(info.backup_label, "START WAL LOCATION");  // "0/4000028 (file 0000...)"
  const std::string timeline = LabelField(info.backup_label, "START TIMELINE");
  if (std::from_chars(timeline.data(), timeline.data() + timeline.size(), info.timeline).ec != std::errc() ||
      info.timeline <= 0) {
    info.timeline = 1;
  }
  auto begin = pg::Lsn::Parse(start.substr(0, start.find(' ')));
  auto end = pg::Lsn::Parse(info.end_xlog);
  if (!begin.ok() || !end.ok()) return fail(InternalError("unexpected backup label: " + info.backup_label));
  info.begin_xlog = begin->ToString();
  info.begin_wal = SegmentNameAt(info.timeline, begin->value(), info.xlog_segment_size);
  info.begin_offset = begin->value() % info.xlog_segment_size;
  info.end_wal = SegmentNameAt(info.timeline, end->value(), info.xlog_segment_size);
  info.end_offset = end->value() % info.xlog_segment_size;
  info.copy_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  if (!standby) {
    session.Exec("SELECT pg_switch_wal()").IgnoreError();
    session.Exec("SELECT pg_create_restore_point($1)", {"barman_" + info.backup_id}).IgnoreError();
  }
  // A backup is usable only with every WAL up to its end in the archive.
  const auto deadline = std::chrono::steady_clock::now() + o.wal_wait;
  while (true) {
    auto found = store->List(layout.WalDir(info.end_wal) + info.end_wal);
    if (found.ok() && std::any_of(found->objects.begin(), found->objects.end(), [&](const s3::ObjectInfo& obj) {
          auto p = ParseWalObjectKey(obj.key);
          return p && p->wal_name == info.end_wal;
        })) {
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return fail(DeadlineExceededError("WAL " + info.end_wal + " did not reach the archive within " +
                                        std::to_string(o.wal_wait.count()) + " s: is archive_command working?"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  info.status = "DONE";
  RETURN_IF_ERROR(store->Put(layout.BackupInfoKey(info.backup_id), RenderBackupInfo(info)));
  return info;
}

}  // namespace tusk::backup
