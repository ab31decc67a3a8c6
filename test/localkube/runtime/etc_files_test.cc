#include "test/localkube/runtime/etc_files.h"

#include <catch2/catch.hpp>

namespace tusk::localkube {

TEST_CASE("passwd knows the image's postgres as uid 26, replacing the host's", "[etc]") {
  const std::string host = "root:x:0:0:root:/root:/bin/bash\npostgres:x:104:110::/var/lib/postgresql:/bin/bash\n";
  const std::string out = RenderPasswd(host, {{"postgres", 26, 26}}, {26, 0});
  CHECK(out.find("root:x:0:0:root:/root:/bin/bash\n") != std::string::npos);
  CHECK(out.find("postgres:x:104") == std::string::npos);
  CHECK(out.find("postgres:x:26:26::/:/bin/sh\n") != std::string::npos);
}

TEST_CASE("an unknown runAsUser gets an entry of its own", "[etc]") {
  const std::string out = RenderPasswd("root:x:0:0:root:/root:/bin/bash\n", {}, {1234});
  CHECK(out.find("uid1234:x:1234:1234::/:/bin/sh\n") != std::string::npos);
  const std::string groups = RenderGroup("root:x:0:\n", {{"postgres", 26, 26}}, {26, 5000});
  CHECK(groups.find("postgres:x:26:\n") != std::string::npos);
  CHECK(groups.find("gid5000:x:5000:\n") != std::string::npos);
}

}  // namespace tusk::localkube
