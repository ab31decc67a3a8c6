#include "instance-manager/archive_status.h"

#include <dirent.h>
#include <sys/stat.h>

namespace tusk::instance {
namespace {

bool EndsWith(const std::string& s, const char* suffix) {
  const std::string x(suffix);
  return s.size() > x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
}

int64_t UnixMs(std::chrono::system_clock::time_point t) {
  if (t == std::chrono::system_clock::time_point{}) return 0;
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

ArchiveQueue ScanArchiveQueue(const std::string& pgdata) {
  ArchiveQueue q;
  const std::string dir = pgdata + "/pg_wal/archive_status";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return q;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (EndsWith(name, ".done")) {
      ++q.done;
    } else if (EndsWith(name, ".ready")) {
      ++q.ready;
      struct stat st;
      if (::stat((dir + "/" + name).c_str(), &st) != 0) continue;  // archived meanwhile
      auto mtime = std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
      if (q.oldest_ready == std::chrono::system_clock::time_point{} || mtime < q.oldest_ready) q.oldest_ready = mtime;
    }
  }
  closedir(d);
  return q;
}

v1::ArchiverStatus MakeArchiverStatus(const backup::ArchiverStats& stats,
                                      const backup::RecoverabilityStats& recoverability,
                                      const ArchiveQueue& queue, std::chrono::system_clock::time_point now) {
  v1::ArchiverStatus a;
  a.set_last_archived_wal(stats.last_archived_wal);
  a.set_last_archived_unix_ms(UnixMs(stats.last_archived_time));
  a.set_last_failed_wal(stats.last_failed_wal);
  a.set_last_failed_unix_ms(UnixMs(stats.last_failed_time));
  a.set_archived_count(stats.archived_count);
  a.set_failed_count(stats.failed_count);
  a.set_last_error(stats.last_error);
  a.set_pending_segments(queue.ready);
  a.set_done_segments(queue.done);
  if (queue.ready > 0 && queue.oldest_ready != std::chrono::system_clock::time_point{} && queue.oldest_ready < now) {
    a.set_lag_ms(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(now - queue.oldest_ready).count()));
  }
  a.set_first_recoverability_unix_ms(UnixMs(recoverability.first_recoverability_point));
  a.set_last_backup_id(recoverability.last_backup_id);
  a.set_recoverability_error(recoverability.last_error);
  return a;
}

}  // namespace tusk::instance
