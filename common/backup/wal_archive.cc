#include "common/backup/wal_archive.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "common/base/files.h"

namespace tusk::backup {
namespace {

std::string Basename(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string Dirname(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::vector<std::string> ReadyFiles(const std::string& status_dir) {
  std::vector<std::string> out;
  DIR* d = opendir(status_dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > 6 && n.compare(n.size() - 6, 6, ".ready") == 0) out.push_back(n.substr(0, n.size() - 6));
  }
  closedir(d);
  // Postgres archives history files first, then segments oldest first.
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    bool ha = IsHistoryFileName(a), hb = IsHistoryFileName(b);
    if (ha != hb) return ha;
    return a < b;
  });
  return out;
}

}  // namespace

Status ArchiveWalFile(s3::ObjectStore* store, const Layout& layout, Codec codec, const std::string& path) {
  const std::string name = Basename(path);
  if (!IsWalFileName(name)) return InvalidArgumentError("'" + name + "' is not a WAL file name");
  ASSIGN_OR_RETURN(std::string data, ReadFile(path));
  // One listing finds the file under any compression it was archived with.
  ASSIGN_OR_RETURN(auto listing, store->List(layout.WalDir(name) + name));
  for (const auto& obj : listing.objects) {
    auto parsed = ParseWalObjectKey(obj.key);
    if (!parsed || parsed->wal_name != name) continue;
    ASSIGN_OR_RETURN(std::string body, store->Get(obj.key));
    auto plain = Decompress(parsed->codec, body);
    if (plain.ok() && *plain == data) return OkStatus();  // a retry after a crash: already stored
    return AlreadyExistsError(name + " is already archived at " + store->Describe() + "/" + obj.key +
                              " with different content; refusing to overwrite it (is another cluster writing to "
                              "the same serverName?)");
  }
  if (codec == Codec::kNone) return store->Put(layout.WalKey(name, codec), data).WithContext("archiving " + name);
  ASSIGN_OR_RETURN(std::string body, Compress(codec, data));
  return store->Put(layout.WalKey(name, codec), body).WithContext("archiving " + name);
}

WalArchiver::WalArchiver(s3::ObjectStore* store, Layout layout, Options options)
    : store_(store), layout_(std::move(layout)), options_(std::move(options)) {}

WalArchiver::~WalArchiver() {
  std::map<std::string, std::shared_future<Status>> pending;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending.swap(inflight_);
  }
  for (auto& [name, f] : pending) f.wait();
}

std::shared_future<Status> WalArchiver::Launch(const std::string& wal_dir, const std::string& spool,
                                               const std::string& name) {
  auto task = [this, wal_dir, spool, name]() -> Status {
    Status s = ArchiveWalFile(store_, layout_, options_.codec, wal_dir + "/" + name);
    // The marker is written only after the store acknowledged the object.
    if (s.ok()) s = WriteFile(spool + "/" + name, "");
    return s;
  };
  return std::async(std::launch::async, std::move(task)).share();
}

Status WalArchiver::Archive(const std::string& wal_path) {
  const std::string name = Basename(wal_path);
  const std::string wal_dir = Dirname(wal_path);
  const std::string spool = options_.spool_dir.empty() ? wal_dir + "/.tusk-archived" : options_.spool_dir;
  RETURN_IF_ERROR(MakeDirs(spool, 0700));
  std::shared_future<Status> mine;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = inflight_.begin(); it != inflight_.end();) {
      bool ready = it->second.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
      it = ready ? inflight_.erase(it) : std::next(it);
    }
    if (!inflight_.count(name) && PathExists(spool + "/" + name)) {
      ::unlink((spool + "/" + name).c_str());
      stats_.last_archived_wal = name;
      stats_.last_archived_time = std::chrono::system_clock::now();
      ++stats_.archived_count;
      return OkStatus();
    }
    if (!inflight_.count(name)) inflight_[name] = Launch(wal_dir, spool, name);
    mine = inflight_[name];
    if (options_.max_parallel > 1) {
      for (const auto& next : ReadyFiles(wal_dir + "/archive_status")) {
        if (static_cast<int>(inflight_.size()) >= options_.max_parallel) break;
        if (inflight_.count(next) || PathExists(spool + "/" + next)) continue;
        inflight_[next] = Launch(wal_dir, spool, next);
      }
    }
  }
  Status s = mine.get();
  std::lock_guard<std::mutex> lock(mu_);
  inflight_.erase(name);
  if (s.ok()) {
    ::unlink((spool + "/" + name).c_str());
    stats_.last_archived_wal = name;
    stats_.last_archived_time = std::chrono::system_clock::now();
    ++stats_.archived_count;
  } else {
    ++stats_.failed_count;
    stats_.last_failed_wal = name;
    stats_.last_failed_time = std::chrono::system_clock::now();
    stats_.last_error = s.message();
  }
  return s;
}

ArchiverStats WalArchiver::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace tusk::backup
