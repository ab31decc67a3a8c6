// postgres' archive_command, done so the archiver never waits on the network
// for more than one round trip: the segment asked for and the next
// `max_parallel - 1` segments already marked .ready in archive_status upload
// together, and a segment uploaded ahead leaves a marker in the spool so the
// later request for it answers at once. Success is reported only after the
// store has acknowledged the object; an object already there with the same
// content is success, with different content an error (never overwrite).
#pragma once

#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <string>

#include "common/backup/compression.h"
#include "common/backup/layout.h"
#include "common/s3/object_store.h"

namespace tusk::backup {

// Uploads one WAL file (segment, .history, .partial or .backup).
Status ArchiveWalFile(s3::ObjectStore* store, const Layout& layout, Codec codec, const std::string& path);

struct ArchiverStats {
  std::string last_archived_wal;
  std::chrono::system_clock::time_point last_archived_time{};
  uint64_t archived_count = 0;
  uint64_t failed_count = 0;
  std::string last_failed_wal;
  std::chrono::system_clock::time_point last_failed_time{};
  std::string last_error;
};

class WalArchiver {
 public:
  struct Options {
    Codec codec = Codec::kNone;
    int max_parallel = 1;
    // Markers of segments uploaded ahead; default <wal dir>/.tusk-archived.
    std::string spool_dir;
  };
  WalArchiver(s3::ObjectStore* store, Layout layout, Options options);
  // Waits for look-ahead uploads still running: their markers must not lie.
  ~WalArchiver();

  // Archives `wal_path` (e.g. /pgdata/pg_wal/000000010000000000000003).
  Status Archive(const std::string& wal_path);
  ArchiverStats stats() const;

 private:
  std::shared_future<Status> Launch(const std::string& wal_dir, const std::string& spool, const std::string& name);

  s3::ObjectStore* store_;
  Layout layout_;
  Options options_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_future<Status>> inflight_;
  ArchiverStats stats_;
};

}  // namespace tusk::backup
