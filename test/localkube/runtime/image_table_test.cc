#include "test/localkube/runtime/image_table.h"

#include <catch2/catch.hpp>

#include "common/base/files.h"

namespace tusk::localkube {

TEST_CASE("the project's image table maps the images localkube must run", "[images]") {
  auto text = ReadFile(TUSK_LOCALKUBE_IMAGE_TABLE);
  REQUIRE(text.ok());
  auto table = ParseImageTable(*text, "/b");
  REQUIRE(table.ok());

  auto pg = ResolveImage(*table, "ghcr.io/cloudnative-pg/postgresql:15.6");
  REQUIRE(pg.ok());
  CHECK(pg->dirs == std::vector<std::string>{"/usr/lib/postgresql/15/bin"});
  REQUIRE(pg->users.size() == 1);
  CHECK(pg->users[0].name == "postgres");
  CHECK(pg->users[0].uid == 26);
  CHECK(ImagePath(*pg).rfind("/usr/lib/postgresql/15/bin:", 0) == 0);

  auto debian = ResolveImage(*table, "debian:bookworm");
  REQUIRE(debian.ok());
  CHECK(debian->dirs.empty());
  CHECK(ImagePath(*debian) == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");

  auto op = ResolveImage(*table, "ghcr.io/tusk/tusk-operator:0.1.0");
  REQUIRE(op.ok());
  CHECK(op->dirs == std::vector<std::string>{"/b/bin"});

  auto bouncer = ResolveImage(*table, "ghcr.io/cloudnative-pg/pgbouncer:1.22.0");
  REQUIRE(bouncer.ok());
}

TEST_CASE("an unknown image fails with a message naming it", "[images]") {
  auto table = ParseImageTable("debian:* host\n", "/b");
  REQUIRE(table.ok());
  auto missing = ResolveImage(*table, "quay.io/nobody/nothing:1");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == StatusCode::kNotFound);
  CHECK(missing.status().message().find("\"quay.io/nobody/nothing:1\"") != std::string::npos);
}

TEST_CASE("image table errors name the line", "[images]") {
  auto bad = ParseImageTable("# ok\nfoo:*\n", "/b");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("line 2") != std::string::npos);
  auto bad_user = ParseImageTable("foo:* host user=pg:x:1\n", "/b");
  REQUIRE_FALSE(bad_user.ok());
  CHECK(bad_user.status().message().find("NAME:UID:GID") != std::string::npos);
}

}  // namespace tusk::localkube
