#include "test/localkube/runtime/atomic_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>

#include "common/base/files.h"

namespace tusk::localkube {
namespace {

namespace fs = std::filesystem;

constexpr char kDataLink[] = "..data";

bool SameContent(const std::string& data_dir, const std::vector<ProjectedFile>& files) {
  std::error_code ec;
  size_t count = 0;
  for (auto it = fs::recursive_directory_iterator(data_dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file()) ++count;
  }
  if (ec || count != files.size()) return false;
  for (const auto& f : files) {
    auto current = ReadFile(data_dir + "/" + f.path);
    if (!current.ok() || *current != f.data) return false;
  }
  return true;
}

std::string TopName(const std::string& path) { return path.substr(0, path.find('/')); }

}  // namespace

StatusOr<bool> WriteAtomicDir(const std::string& dir, const std::vector<ProjectedFile>& files,
                              std::optional<gid_t> group) {
  RETURN_IF_ERROR(MakeDirs(dir));
  const std::string link = dir + "/" + kDataLink;
  std::error_code ec;
  std::string old_target;
  if (fs::is_symlink(link, ec)) {
    old_target = fs::read_symlink(link, ec).string();
    if (!ec && SameContent(dir + "/" + old_target, files)) return false;
  }
  const auto stamp = std::chrono::system_clock::now().time_since_epoch().count();
  const std::string target = "..data_" + std::to_string(stamp);
  const std::string target_dir = dir + "/" + target;
  RETURN_IF_ERROR(MakeDirs(target_dir));
  for (const auto& f : files) {
    const std::string path = target_dir + "/" + f.path;
    RETURN_IF_ERROR(MakeDirs(fs::path(path).parent_path().string()));
    mode_t mode = f.mode;
    if (group) mode |= 0040;
    RETURN_IF_ERROR(WriteFile(path, f.data, mode));
    if (::chmod(path.c_str(), mode) != 0) return ErrnoError("chmod " + path, errno);
    if (group && ::chown(path.c_str(), 0, *group) != 0) return ErrnoError("chown " + path, errno);
  }
  // The new ..data is made aside and renamed over the old one: rename(2)
  // replaces a symlink atomically, so readers switch in one step.
  const std::string tmp_link = dir + "/..data_tmp";
  ::unlink(tmp_link.c_str());
  if (::symlink(target.c_str(), tmp_link.c_str()) != 0) return ErrnoError("symlink " + tmp_link, errno);
  if (::rename(tmp_link.c_str(), link.c_str()) != 0) return ErrnoError("rename " + link, errno);
  std::set<std::string> wanted;
  for (const auto& f : files) wanted.insert(TopName(f.path));
  for (const auto& name : wanted) {
    const std::string visible = dir + "/" + name;
    if (fs::is_symlink(visible, ec)) continue;
    if (::symlink((std::string(kDataLink) + "/" + name).c_str(), visible.c_str()) != 0) {
      return ErrnoError("symlink " + visible, errno);
    }
  }
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("..", 0) == 0) {
      if (name != kDataLink && name != target) RETURN_IF_ERROR(RemoveAll(entry.path().string()));
    } else if (!wanted.count(name)) {
      RETURN_IF_ERROR(RemoveAll(entry.path().string()));
    }
  }
  RETURN_IF_ERROR(FsyncDir(dir));
  return true;
}

}  // namespace tusk::localkube
