#include "common/backup/tar.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "common/backup/base_backup.h"
#include "common/base/files.h"

namespace tusk::backup {
namespace {

TarEntry E(const std::string& name, char type, mode_t mode) {
  TarEntry e;
  e.name = name;
  e.type = type;
  e.mode = mode;
  return e;
}

TEST_CASE("a tar stream round-trips files, directories, symlinks and long names") {
  auto dir = TempDir::Make("tusk-tar");
  REQUIRE(dir.ok());
  std::string stream;
  TarWriter w([&](std::string_view b) {
    stream.append(b);
    return OkStatus();
  });
  const std::string long_name = "base/" + std::string(150, 'x') + "/file";
  const std::string big(70000, 'q');
  REQUIRE(w.AddBytes(E(".", '5', 0700), "").ok());
  REQUIRE(w.AddBytes(E("./PG_VERSION", '0', 0600), "15\n").ok());
  REQUIRE(w.AddBytes(E("pg_wal", '5', 0700), "").ok());
  REQUIRE(w.AddBytes(E(long_name, '0', 0600), big).ok());
  REQUIRE(w.AddBytes(E("empty", '0', 0600), "").ok());
  TarEntry link = E("pg_tblspc/16385", '2', 0777);
  link.link_target = "/somewhere/else";
  REQUIRE(w.AddBytes(link, "").ok());
  REQUIRE(w.Finish().ok());
  CHECK(stream.size() % 512 == 0);

  TarExtractor x(dir->path() + "/out");
  // Odd-sized pieces exercise every state boundary.
  for (size_t off = 0; off < stream.size(); off += 777) REQUIRE(x.Write(std::string_view(stream).substr(off, 777)).ok());
  REQUIRE(x.Finish().ok());
  CHECK(*ReadFile(dir->path() + "/out/PG_VERSION") == "15\n");
  CHECK(*ReadFile(dir->path() + "/out/" + long_name) == big);
  CHECK(ReadFile(dir->path() + "/out/empty")->empty());
  struct stat st;
  REQUIRE(::stat((dir->path() + "/out/pg_wal").c_str(), &st) == 0);
  CHECK(S_ISDIR(st.st_mode));
  char target[256] = {};
  REQUIRE(::readlink((dir->path() + "/out/pg_tblspc/16385").c_str(), target, sizeof target - 1) > 0);
  CHECK(std::string(target) == "/somewhere/else");
  CHECK(x.files() == 3);
}

TEST_CASE("a truncated or hostile tar stream is refused") {
  auto dir = TempDir::Make("tusk-tar");
  REQUIRE(dir.ok());
  std::string stream;
  TarWriter w([&](std::string_view b) {
    stream.append(b);
    return OkStatus();
  });
  REQUIRE(w.AddBytes(E("a", '0', 0600), std::string(5000, 'a')).ok());
  REQUIRE(w.Finish().ok());
  TarExtractor cut(dir->path() + "/cut");
  REQUIRE(cut.Write(std::string_view(stream).substr(0, 2048)).ok());
  CHECK(!cut.Finish().ok());

  std::string evil;
  TarWriter e([&](std::string_view b) {
    evil.append(b);
    return OkStatus();
  });
  REQUIRE(e.AddBytes(E("../escape", '0', 0600), "x").ok());
  TarExtractor bad(dir->path() + "/bad");
  CHECK(!bad.Write(evil).ok());
  CHECK(!PathExists(dir->path() + "/escape"));
}

TEST_CASE("base backups leave out what PostgreSQL and barman leave out") {
  CHECK(ClassifyPath("postmaster.pid", false) == Exclusion::kSkip);
  CHECK(ClassifyPath("backup_label", false) == Exclusion::kSkip);
  CHECK(ClassifyPath("global/pg_control", false) == Exclusion::kSkip);  // added last, separately
  CHECK(ClassifyPath("pg_wal", true) == Exclusion::kKeepDirOnly);
  CHECK(ClassifyPath("pg_replslot", true) == Exclusion::kKeepDirOnly);
  CHECK(ClassifyPath("log", true) == Exclusion::kKeepDirOnly);
  CHECK(ClassifyPath("base/1/pg_internal.init", false) == Exclusion::kSkip);
  CHECK(ClassifyPath("base/pgsql_tmp", true) == Exclusion::kSkip);
  CHECK(ClassifyPath("base/5/t3_16384", false) == Exclusion::kSkip);
  CHECK(ClassifyPath("base/5/16384", false) == Exclusion::kInclude);
  CHECK(ClassifyPath("postgresql.conf", false) == Exclusion::kInclude);
  CHECK(ClassifyPath("global/1262", false) == Exclusion::kInclude);
}

}  // namespace
}  // namespace tusk::backup
