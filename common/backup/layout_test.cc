#include "common/backup/layout.h"

#include <catch2/catch.hpp>

namespace tusk::backup {
namespace {

TEST_CASE("WAL objects are named as barman-cloud names them") {
  auto dest = ParseDestinationPath("s3://bucket/some/path/");
  REQUIRE(dest.ok());
  CHECK(dest->bucket == "bucket");
  CHECK(dest->path == "some/path");
  Layout layout(*dest, "cluster-example");
  CHECK(layout.WalKey("000000010000000200000003", Codec::kGzip) ==
        "some/path/cluster-example/wals/0000000100000002/000000010000000200000003.gz");
  CHECK(layout.WalKey("00000002.history", Codec::kNone) == "some/path/cluster-example/wals/00000002.history");
  CHECK(layout.WalKey("000000010000000000000002.00000028.backup", Codec::kNone) ==
        "some/path/cluster-example/wals/0000000100000000/000000010000000000000002.00000028.backup");
  CHECK(layout.DataTarKey("20261125T105311", Codec::kBzip2) ==
        "some/path/cluster-example/base/20261125T105311/data.tar.bz2");
  CHECK(Layout(*ParseDestinationPath("s3://b"), "s").WalsPrefix() == "s/wals/");
  CHECK(!ParseDestinationPath("gs://b/p").ok());
}

TEST_CASE("WAL names follow barman's accepted set") {
  CHECK(IsWalFileName("000000010000000000000003"));
  CHECK(IsWalFileName("00000002.history"));
  CHECK(IsWalFileName("000000010000000000000003.partial"));
  CHECK(IsWalFileName("000000010000000000000002.00000028.backup"));
  CHECK(!IsWalFileName("RECOVERYXLOG"));
  CHECK(!IsWalFileName("00000001000000000000003"));
  CHECK(!IsWalFileName("000000010000000000000003.gz"));
  auto parsed = ParseWalObjectKey("p/s/wals/0000000100000000/000000010000000000000003.zst");
  REQUIRE(parsed.has_value());
  CHECK(parsed->wal_name == "000000010000000000000003");
  CHECK(parsed->codec == Codec::kZstd);
  CHECK(!ParseWalObjectKey("p/s/wals/0000000100000000/000000010000000000000003.xz").has_value());
}

TEST_CASE("segment arithmetic crosses the log boundary") {
  CHECK(NextSegmentName("0000000100000000000000FE").value_or("") == "0000000100000000000000FF");
  CHECK(NextSegmentName("0000000100000000000000FF").value_or("") == "000000010000000100000000");
  CHECK(SegmentNameAt(2, 0x1A2B000028) == "000000020000001A0000002B");
}

}  // namespace
}  // namespace tusk::backup
