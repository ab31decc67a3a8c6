#include "common/base/files.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include <catch2/catch.hpp>

namespace tusk {
namespace {

TEST_CASE("an atomic write replaces content, sets the mode and leaves no temporary") {
  auto dir = TempDir::Make("tusk-files");
  REQUIRE(dir.ok());
  std::string path = dir->Sub("conf");
  REQUIRE(WriteFileAtomic(path, "old\n").ok());
  REQUIRE(WriteFileAtomic(path, "new\n", 0600).ok());
  CHECK(*ReadFile(path) == "new\n");
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  int entries = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir->path())) ++entries;
  CHECK(entries == 1);
}

TEST_CASE("a writer killed mid-write leaves the old content or the new, never a mix") {
  auto dir = TempDir::Make("tusk-files");
  REQUIRE(dir.ok());
  std::string path = dir->Sub("state");
  const std::string old_content(1 << 20, 'o');
  const std::string new_content(32 << 20, 'n');
  int saw_old = 0, saw_new = 0;
  for (int round = 0; round < 8; ++round) {
    REQUIRE(WriteFileAtomic(path, old_content).ok());
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(ready[0]);
      char c = 'g';
      if (::write(ready[1], &c, 1) != 1) ::_exit(3);
      ::_exit(WriteFileAtomic(path, new_content).ok() ? 0 : 1);
    }
    ::close(ready[1]);
    char c;
    REQUIRE(::read(ready[0], &c, 1) == 1);
    ::close(ready[0]);
    // Later rounds let the writer get further before the "crash".
    ::usleep(static_cast<useconds_t>(round * 4000));
    ::kill(pid, SIGKILL);
    int ws;
    REQUIRE(::waitpid(pid, &ws, 0) == pid);
    auto got = ReadFile(path);
    REQUIRE(got.ok());
    bool is_old = *got == old_content, is_new = *got == new_content;
    CHECK((is_old || is_new));
    saw_old += is_old;
    saw_new += is_new;
  }
  INFO("rounds that ended with the old content: " << saw_old << ", new: " << saw_new);
  CHECK(saw_old + saw_new == 8);
}

TEST_CASE("writing into a missing directory fails clearly and creates nothing") {
  auto dir = TempDir::Make("tusk-files");
  REQUIRE(dir.ok());
  Status st = WriteFileAtomic(dir->Sub("missing/conf"), "x");
  CHECK(st.code() == StatusCode::kNotFound);
  CHECK(st.message().find("missing/conf") != std::string::npos);
  CHECK_FALSE(PathExists(dir->Sub("missing")));
  CHECK(ReadFile(dir->Sub("nope")).status().code() == StatusCode::kNotFound);
}

TEST_CASE("MakeDirs creates nested directories; TempDir removes its tree") {
  std::string kept;
  {
    auto dir = TempDir::Make("tusk-files");
    REQUIRE(dir.ok());
    kept = dir->path();
    REQUIRE(MakeDirs(dir->Sub("a/b/c"), 0700).ok());
    REQUIRE(MakeDirs(dir->Sub("a/b/c"), 0700).ok());
    REQUIRE(WriteFile(dir->Sub("a/b/c/f"), "data").ok());
    CHECK(PathExists(dir->Sub("a/b/c/f")));
  }
  CHECK_FALSE(PathExists(kept));
}

}  // namespace
}  // namespace tusk
