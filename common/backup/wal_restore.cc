#include "common/backup/wal_restore.h"

#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

#include <future>
#include <vector>

#include "common/backup/compression.h"
#include "common/base/files.h"

namespace tusk::backup {
namespace {

std::string Dirname(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

}  // namespace

Status FetchWalFile(s3::ObjectStore* store, const Layout& layout, const std::string& name, const std::string& dest) {
  if (!IsWalFileName(name)) return InvalidArgumentError("'" + name + "' is not a WAL file name");
  ASSIGN_OR_RETURN(auto listing, store->List(layout.WalDir(name) + name));
  for (const auto& obj : listing.objects) {
    auto parsed = ParseWalObjectKey(obj.key);
    // Exact names only: a .partial is never handed out for a full segment.
    if (!parsed || parsed->wal_name != name) continue;
    ASSIGN_OR_RETURN(std::string body, store->Get(obj.key));
    ASSIGN_OR_RETURN(std::string plain, Decompress(parsed->codec, body));
    // postgres removes a failed restore's file itself; a temp+rename keeps a
    // half-written file from ever carrying the final name.
    return WriteFileAtomic(dest, plain, 0600);
  }
  return NotFoundError(name + " is not in the archive at " + store->Describe() + "/" + layout.WalsPrefix());
}

Status RestoreWal(s3::ObjectStore* store, const Layout& layout, const std::string& name, const std::string& dest,
                  const WalRestoreOptions& options) {
  const std::string spool = options.spool_dir.empty() ? Dirname(dest) + "/.tusk-prefetch" : options.spool_dir;
  const std::string spooled = spool + "/" + name;
  if (PathExists(spooled)) {
    if (::rename(spooled.c_str(), dest.c_str()) == 0) return FsyncDir(Dirname(dest));
  }
  std::vector<std::future<Status>> prefetch;
  if (IsWalSegmentName(name) && options.max_parallel > 1) {
    RETURN_IF_ERROR(MakeDirs(spool, 0700));
    std::string next = name;
    for (int i = 1; i < options.max_parallel; ++i) {
      auto following = NextSegmentName(next, options.segment_size);
      if (!following.ok()) break;  // nothing to prefetch; the asked-for file is still fetched
      next = *following;
      if (PathExists(spool + "/" + next)) continue;
      prefetch.push_back(std::async(std::launch::async, [store, &layout, next, spool] {
        return FetchWalFile(store, layout, next, spool + "/" + next);
      }));
    }
  }
  Status s = FetchWalFile(store, layout, name, dest);
  // Prefetch misses are normal at the end of the archive; they only cost time.
  for (auto& f : prefetch) f.get().IgnoreError();
  return s;
}

}  // namespace tusk::backup
