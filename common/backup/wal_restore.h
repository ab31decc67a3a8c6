// postgres' restore_command: fetch one WAL file from the object store and,
// for segments, prefetch the next `max_parallel - 1` into a spool beside
// pg_wal so replay finds them locally. A file that is not in the archive is
// NotFound (exit 1 for postgres), which is how recovery learns where the
// archive ends.
#pragma once

#include <string>

#include "common/backup/layout.h"
#include "common/s3/object_store.h"

namespace tusk::backup {

// Finds `name` under any compression and writes it, decompressed, to `dest`
// (atomically: a temp file renamed into place).
Status FetchWalFile(s3::ObjectStore* store, const Layout& layout, const std::string& name, const std::string& dest);

struct WalRestoreOptions {
  int max_parallel = 1;
  uint64_t segment_size = kDefaultWalSegmentSize;
  // Default: <dir of dest>/.tusk-prefetch.
  std::string spool_dir;
};

Status RestoreWal(s3::ObjectStore* store, const Layout& layout, const std::string& name, const std::string& dest,
                  const WalRestoreOptions& options);

}  // namespace tusk::backup
