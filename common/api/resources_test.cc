#include <catch2/catch.hpp>

#include "common/api/backup.h"
#include "common/api/image_catalog.h"
#include "common/api/object_store.h"
#include "common/api/pooler.h"

namespace tusk::api {
namespace {

TEST_CASE("Pooler defaults and validation") {
  auto p = PoolerFromJson(Json::parse(
      R"({"metadata":{"name":"pooler-rw"},"spec":{"cluster":{"name":"pg"},"pgbouncer":{"parameters":{"max_client_conn":"1000"}},"template":{"spec":{"containers":[]}}}})"));
  REQUIRE(p.ok());
  ApplyDefaults(&*p);
  CHECK(p->spec.type == "rw");
  CHECK(p->spec.instances == 1);
  CHECK(p->spec.pool_mode == "session");
  CHECK(Validate(*p).empty());
  Json out = ToJson(*p);
  CHECK(out["spec"]["pgbouncer"]["poolMode"] == "session");
  CHECK(out["spec"]["template"]["spec"].contains("containers"));

  p->spec.pool_mode = "statement";
  p->spec.cluster = "pooler-rw";
  auto errs = Validate(*p).ToStatus("Pooler", "pooler-rw").message();
  CHECK_THAT(errs, Catch::Contains("spec.pgbouncer.poolMode: Unsupported value: \"statement\": supported values: \"session\", \"transaction\""));
  CHECK_THAT(errs, Catch::Contains("metadata.name"));
}

TEST_CASE("Pooler without pgbouncer section is rejected") {
  auto p = PoolerFromJson(Json::parse(R"({"metadata":{"name":"x"},"spec":{"cluster":{"name":"pg"}}})"));
  REQUIRE(p.ok());
  CHECK_THAT(Validate(*p).ToStatus("Pooler", "x").message(), Catch::Contains("spec.pgbouncer: Required value"));
}

TEST_CASE("Backup: defaults to barmanObjectStore and rejects online for it") {
  auto b = BackupFromJson(Json::parse(R"({"metadata":{"name":"b1"},"spec":{"cluster":{"name":"pg"},"online":true}})"));
  REQUIRE(b.ok());
  ApplyDefaults(&*b);
  CHECK(b->spec.method == "barmanObjectStore");
  CHECK_THAT(Validate(*b).ToStatus("Backup", "b1").message(), Catch::Contains("spec.online"));
  b->spec.method = "volumeSnapshot";
  CHECK(Validate(*b).empty());
}

TEST_CASE("Backup status round-trips") {
  auto b = BackupFromJson(Json::parse(R"({"metadata":{"name":"b1"},"spec":{"cluster":{"name":"pg"}}})"));
  REQUIRE(b.ok());
  b->status.phase = "completed";
  b->status.begin_lsn = "0/3000028";
  Json out = ToJson(*b);
  CHECK(out["status"]["phase"] == "completed");
  auto again = BackupFromJson(out);
  REQUIRE(again.ok());
  CHECK(again->status.begin_lsn == "0/3000028");
  CHECK(out["kind"] == "Backup");
  CHECK(out["apiVersion"] == "postgresql.cnpg.io/v1");
}

TEST_CASE("ScheduledBackup needs a six-field schedule and a cluster") {
  auto s = ScheduledBackupFromJson(Json::parse(R"({"metadata":{"name":"nightly"},"spec":{"schedule":"0 0 0 * *"}})"));
  REQUIRE(s.ok());
  ApplyDefaults(&*s);
  CHECK(s->spec.backup_owner_reference == "none");
  auto msg = Validate(*s).ToStatus("ScheduledBackup", "nightly").message();
  CHECK_THAT(msg, Catch::Contains("spec.schedule: Invalid value: \"0 0 0 * *\""));
  CHECK_THAT(msg, Catch::Contains("spec.cluster.name: Required value"));
  s->spec.schedule = "0 0 0 * * *";
  s->spec.cluster = "pg";
  CHECK(Validate(*s).empty());
}

TEST_CASE("Image catalogs: unique majors, at least 10, lookup by major") {
  auto c = ImageCatalogFromJson(Json::parse(R"({"metadata":{"name":"pg"},"spec":{"images":[
      {"major":16,"image":"postgres:16.4"},{"major":17,"image":"postgres:17.1"},{"major":9,"image":"old"},{"major":16,"image":"dup"}]}})"));
  REQUIRE(c.ok());
  CHECK(c->ImageFor(17) == "postgres:17.1");
  CHECK_FALSE(c->ImageFor(15).has_value());
  auto msg = Validate(*c).ToStatus("ImageCatalog", "pg").message();
  CHECK_THAT(msg, Catch::Contains("spec.images[2].major: Invalid value: 9"));
  CHECK_THAT(msg, Catch::Contains("spec.images[3].major: Invalid value: 16"));
  auto cc = ClusterImageCatalogFromJson(Json::parse(R"({"metadata":{"name":"g"},"spec":{"images":[{"major":16,"image":"x"}]}})"));
  REQUIRE(cc.ok());
  CHECK(Validate(*cc).empty());
  CHECK(ToJson(*cc)["kind"] == "ClusterImageCatalog");
}

TEST_CASE("ObjectStore keeps credentials it does not model") {
  auto o = ObjectStoreFromJson(Json::parse(R"({"apiVersion":"barmancloud.cnpg.io/v1","kind":"ObjectStore",
      "metadata":{"name":"minio"},"spec":{"configuration":{"destinationPath":"s3://backups/",
      "s3Credentials":{"accessKeyId":{"name":"minio","key":"ACCESS_KEY_ID"}},"wal":{"compression":"gzip"}},
      "retentionPolicy":"30d"}})"));
  REQUIRE(o.ok());
  CHECK(Validate(*o).empty());
  o->spec.wal_compression = "zstd";
  Json out = ToJson(*o);
  CHECK(out["spec"]["configuration"]["s3Credentials"]["accessKeyId"]["key"] == "ACCESS_KEY_ID");
  CHECK(out["spec"]["configuration"]["wal"]["compression"] == "zstd");
  o->spec.retention_policy = "30 days";
  o->spec.destination_path.reset();
  auto msg = Validate(*o).ToStatus("ObjectStore", "minio").message();
  CHECK_THAT(msg, Catch::Contains("spec.retentionPolicy"));
  CHECK_THAT(msg, Catch::Contains("spec.configuration.destinationPath: Required value"));
}

}  // namespace
}  // namespace tusk::api
