// ${BUILD} as pods see it: the build directory itself when every user may
// enter it, a copy of its bin/ when it sits under a directory only root can
// enter (a checkout in root's mode-700 home).
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "common/base/files.h"
#include "test/localkube/node/local_cluster.h"

namespace tusk::localkube {
namespace {

TEST_CASE("the build directory is copied for pods only when they could not enter it") {
  auto tmp = TempDir::Make("localkube-build");
  REQUIRE(tmp.ok());
  const std::string home = tmp->Sub("home");
  const std::string build = home + "/checkout/build";
  REQUIRE(MakeDirs(build + "/bin").ok());
  REQUIRE(WriteFile(build + "/bin/tusk-operator", "#!/bin/sh\n", 0700).ok());
  ::chmod(tmp->path().c_str(), 0755);
  const std::string staging = tmp->Sub("staged");

  bool copied = true;
  ::chmod(home.c_str(), 0755);
  CHECK(ReachableBuildDir(build, staging, &copied).value() == build);
  CHECK_FALSE(copied);

  ::chmod(home.c_str(), 0700);
  CHECK(ReachableBuildDir(build, staging, &copied).value() == staging);
  CHECK(copied);
  struct stat st;
  REQUIRE(::stat((staging + "/bin/tusk-operator").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0755);
  CHECK(ReadFile(staging + "/bin/tusk-operator").value() == "#!/bin/sh\n");
  ::chmod(home.c_str(), 0755);  // so TempDir can clean up as any user
}

}  // namespace
}  // namespace tusk::localkube
