#include "test/localkube/runtime/atomic_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "common/base/files.h"

namespace tusk::localkube {

namespace fs = std::filesystem;

TEST_CASE("a projected directory swaps all files at once through ..data", "[atomic]") {
  auto tmp = TempDir::Make("lk-atomic");
  REQUIRE(tmp.ok());
  const std::string dir = tmp->Sub("secret");
  auto first = WriteAtomicDir(dir, {{"username", "app", 0644}, {"password", "one", 0600}}, std::nullopt);
  REQUIRE(first.ok());
  CHECK(*first);
  CHECK(fs::is_symlink(dir + "/..data"));
  CHECK(fs::read_symlink(dir + "/password") == "..data/password");
  CHECK(*ReadFile(dir + "/password") == "one");
  const auto old_target = fs::read_symlink(dir + "/..data");

  // Unchanged content: no new generation.
  auto same = WriteAtomicDir(dir, {{"username", "app", 0644}, {"password", "one", 0600}}, std::nullopt);
  REQUIRE(same.ok());
  CHECK_FALSE(*same);

  auto second = WriteAtomicDir(dir, {{"password", "two", 0600}, {"tls.key", "k", 0600}}, std::nullopt);
  REQUIRE(second.ok());
  CHECK(*second);
  CHECK(*ReadFile(dir + "/password") == "two");
  CHECK(*ReadFile(dir + "/tls.key") == "k");
  CHECK_FALSE(fs::exists(dir + "/username"));
  CHECK(fs::read_symlink(dir + "/..data") != old_target);
  CHECK_FALSE(fs::exists(dir + "/" + old_target.string()));  // the old generation is gone
  CHECK((fs::status(dir + "/..data/tls.key").permissions() & fs::perms::all) == fs::perms(0600));
}

TEST_CASE("with an fsGroup, projected files are group-owned and group-readable", "[atomic]") {
  if (::geteuid() != 0) {
    WARN("skipped: changing file ownership needs root");
    return;
  }
  auto tmp = TempDir::Make("lk-atomic");
  REQUIRE(tmp.ok());
  REQUIRE(WriteAtomicDir(tmp->Sub("s"), {{"tls.key", "k", 0600}}, gid_t{26}).ok());
  struct stat st{};
  REQUIRE(::stat((tmp->Sub("s") + "/tls.key").c_str(), &st) == 0);
  CHECK(st.st_gid == 26);
  CHECK((st.st_mode & 0777) == 0640);
}

}  // namespace tusk::localkube
