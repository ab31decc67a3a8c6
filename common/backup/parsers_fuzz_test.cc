// Fuzz-style tests of every parser of what the backup engine reads from the
// bucket, postgres or the user: each returns a value or an error, whatever it
// is given, and never throws (an exception here would end tusk-instance's
// archiver thread, and with it PID 1).
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>

#include "common/backup/backup_info.h"
#include "common/backup/compression.h"
#include "common/backup/config.h"
#include "common/backup/layout.h"
#include "common/backup/retention.h"
#include "common/backup/tar.h"
#include "common/base/files.h"
#include "test/unit/fuzz_inputs.h"

namespace tusk::backup {
namespace {

using testing::HugeNumbers;
using testing::Mutations;
using testing::RandomInputs;
using testing::Truncations;

std::vector<std::string> Inputs(uint64_t seed, const std::vector<std::string>& valid, const std::string& alphabet,
                                size_t max_len = 64) {
  std::vector<std::string> all = RandomInputs(seed, 1000, max_len);
  for (auto& s : RandomInputs(seed + 1, 2000, max_len, alphabet)) all.push_back(std::move(s));
  for (const auto& v : valid) {
    for (auto& s : Truncations(v)) all.push_back(std::move(s));
    for (auto& s : Mutations(seed + 2, v, 500)) all.push_back(std::move(s));
  }
  for (auto& s : HugeNumbers()) all.push_back(std::move(s));
  return all;
}

BackupInfo SampleInfo() {
  BackupInfo i;
  i.backup_label = "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\nSTART TIMELINE: 1\n\x01";
  i.begin_time = "2026-11-25 10:53:11.123456+00:00";
  i.begin_xlog = "0/2000028";
  i.end_xlog = "0/2000100";
  i.status = "DONE";
  i.version = 150018;
  i.size = 123;
  return i;
}

TEST_CASE("backup.info fuzz: any bytes from the bucket read as a backup or an error") {
  const std::string valid = RenderBackupInfo(SampleInfo());
  size_t read = 0;
  for (const auto& in : Inputs(10, {valid}, "=\n'\\x0123456789abcdefNonestatusDONEtimeline_size ", 400)) {
    StatusOr<BackupInfo> r = InvalidArgumentError("unset");
    REQUIRE_NOTHROW(r = ParseBackupInfo(in));
    if (r.ok()) ++read;
  }
  CHECK(read > 0);
}

TEST_CASE("backup.info: numbers out of range and bad escapes are errors or kept, never a throw") {
  const std::string valid = RenderBackupInfo(SampleInfo());
  for (const std::string key : {"timeline", "version", "begin_offset", "end_offset", "size", "xlog_segment_size"}) {
    for (const auto& huge : HugeNumbers()) {
      std::string text = valid;
      size_t at = text.find("\n" + key + "=");
      if (at == std::string::npos) at = text.find(key + "=") - 1;
      size_t from = at + key.size() + 2;
      text.replace(from, text.find('\n', from) - from, huge);
      INFO(key << "=" << huge);
      StatusOr<BackupInfo> r = InvalidArgumentError("unset");
      REQUIRE_NOTHROW(r = ParseBackupInfo(text));
      // A value that is not a number in range is refused, not read as zero.
      if (huge[0] == '-' || huge.find_first_not_of("0123456789") != std::string::npos) CHECK(!r.ok());
    }
  }
  // A segment size PostgreSQL cannot have would divide by zero later.
  std::string zero_segments = valid;
  zero_segments.replace(zero_segments.find("xlog_segment_size=") + 18, 8, "3");
  CHECK(ParseBackupInfo(zero_segments).status().code() == StatusCode::kDataLoss);
  // "\x" with missing or non-hex digits (the old std::stoi threw here).
  for (const std::string label : {"'\\x'", "'\\xZZ'", "'\\x4'", "'a\\x'", "'\\x4g'"}) {
    REQUIRE_NOTHROW(PythonUnrepr(label));
  }
  CHECK(PythonUnrepr("'\\x41\\xZZ'") == "A\\xZZ");
}

TEST_CASE("timestamps, LSNs, WAL names, destinations fuzz: a value or an error") {
  for (const auto& in : Inputs(20, {"2026-11-25 10:53:11.123456+00:00", "2026-11-25T10:53:11Z"},
                               "0123456789-: .T+Z", 40)) {
    REQUIRE_NOTHROW(ParseTimestamp(in).status().IgnoreError());
  }
  for (const auto& in : Inputs(22, {"000000010000000200000003", "00000002.history"}, "0123456789ABCDEFG.", 30)) {
    REQUIRE_NOTHROW(NextSegmentName(in).status().IgnoreError());
    REQUIRE_NOTHROW(ParseWalObjectKey("wals/" + in + ".gz"));
    REQUIRE_NOTHROW(IsWalFileName(in));
  }
  CHECK(!NextSegmentName("00000001000000020000000Z").ok());
  CHECK(!NextSegmentName("000000010000000200000003", 0).ok());
  for (const auto& in : Inputs(23, {"s3://bucket/path/"}, "s3:/bucket", 24)) {
    REQUIRE_NOTHROW(ParseDestinationPath(in).status().IgnoreError());
  }
}

TEST_CASE("retention policies and listed backup prefixes fuzz: a value or an error") {
  for (const auto& in : Inputs(24, {"30d", "4w", "3m"}, "0123456789dwm-+ ", 24)) {
    REQUIRE_NOTHROW(ParseRetentionPolicy(in).status().IgnoreError());
  }
  for (const auto& huge : HugeNumbers()) {
    INFO(huge);
    CHECK(!ParseRetentionPolicy(huge + "d").ok());  // std::stol threw on the first of these
  }
  CHECK(ParseRetentionPolicy("30d").value_or(std::chrono::seconds(0)) == std::chrono::hours(24 * 30));
  const Layout layout({"bucket", "path"}, "server");
  for (const auto& in : Inputs(25, {"path/server/base/20261125T105311/"}, "path/server/base/0123T", 48)) {
    REQUIRE_NOTHROW(layout.BackupIdOf(in));
  }
  CHECK(layout.BackupIdOf("path/server/base/20261125T105311/").value_or("") == "20261125T105311");
  CHECK(!layout.BackupIdOf("p/").has_value());  // shorter than the base prefix: substr threw
  CHECK(!layout.BackupIdOf("path/server/base/").has_value());
}

TEST_CASE("object store configuration fuzz: any JSON or non-JSON is a config or an error") {
  const std::string valid =
      R"({"destinationPath":"s3://b/p","endpointURL":"http://m:9000","s3Credentials":{"accessKeyId":{"value":"a"}},)"
      R"("wal":{"compression":"gzip","maxParallel":4},"data":{"jobs":2}})";
  char* env[] = {nullptr};
  for (const auto& in : Inputs(30, {valid, R"({"wal":{"maxParallel":"four"}})", R"({"data":{"jobs":1e400}})"},
                               "{}[]\":,0123456789-eE.truefalsenull", 200)) {
    REQUIRE_NOTHROW(ParseObjectStoreConfig(in, env).status().IgnoreError());
  }
}

TEST_CASE("decompression fuzz: damaged WAL objects are an error, not a crash") {
  const std::string plain(20000, 'w');
  for (Codec codec : {Codec::kGzip, Codec::kBzip2, Codec::kLz4, Codec::kZstd}) {
    auto packed = Compress(codec, plain);
    if (!packed.ok()) continue;  // a codec this build does not write
    INFO(CodecName(codec));
    std::vector<std::string> inputs = Mutations(40, *packed, 200);
    for (size_t n = 0; n < packed->size(); n += 1 + packed->size() / 50) inputs.push_back(packed->substr(0, n));
    for (auto& s : RandomInputs(41, 100, 300)) inputs.push_back(std::move(s));
    for (const auto& in : inputs) {
      StatusOr<std::string> r = InvalidArgumentError("unset");
      REQUIRE_NOTHROW(r = Decompress(codec, in));
    }
  }
}

std::string SampleTar(const std::string& pax_records = "") {
  std::string stream;
  TarWriter w([&](std::string_view b) {
    stream.append(b);
    return OkStatus();
  });
  auto entry = [](const std::string& name, char type, uint64_t size) {
    TarEntry e;
    e.name = name;
    e.type = type;
    e.size = size;
    e.mode = type == '5' ? 0700 : 0600;
    return e;
  };
  (void)w.AddBytes(entry("pg_wal", '5', 0), "");
  (void)w.AddBytes(entry("base/" + std::string(120, 'n') + "/1259", '0', 700), std::string(700, 'd'));
  if (!pax_records.empty()) {
    // Written as a file, then retyped 'x' with its checksum redone, so the
    // block reaches the PAX parser rather than failing the checksum.
    const size_t header_at = stream.size();
    (void)w.AddBytes(entry("././@PaxHeader", '0', pax_records.size()), pax_records);
    char* h = stream.data() + header_at;
    h[156] = 'x';
    std::memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (size_t i = 0; i < 512; ++i) sum += static_cast<unsigned char>(h[i]);
    std::snprintf(h + 148, 8, "%06o", sum);
    h[155] = ' ';
  }
  (void)w.AddBytes(entry("PG_VERSION", '0', 3), "15\n");
  (void)w.Finish();
  return stream;
}

TEST_CASE("tar fuzz: truncated, damaged and hostile PAX archives are refused, never thrown") {
  auto dir = TempDir::Make("tusk-tar-fuzz");
  REQUIRE(dir.ok());
  std::vector<std::string> streams;
  const std::string valid = SampleTar();
  for (size_t n = 0; n <= valid.size(); n += 61) streams.push_back(valid.substr(0, n));
  for (auto& s : Mutations(50, valid, 100)) streams.push_back(std::move(s));
  // PAX blocks with a valid header checksum and broken records.
  std::vector<std::string> records = Mutations(51, "30 path=base/1/abcdefghijklm\n11 size=3\n", 100);
  for (auto& r : RandomInputs(52, 100, 40, "0123456789 =\npathsize")) records.push_back(std::move(r));
  for (auto& r : Truncations("30 path=base/1/abcdefghijklm\n")) records.push_back(std::move(r));
  for (const auto& r : records) {
    if (!r.empty()) streams.push_back(SampleTar(r));
  }
  streams.push_back(SampleTar("99999999999999999999999 path=x\n"));
  streams.push_back(SampleTar("20 size=18446744073709551616\n"));
  size_t n = 0;
  for (const auto& s : streams) {
    const std::string root = dir->Sub("r" + std::to_string(n++));
    REQUIRE(MakeDirs(root, 0700).ok());
    TarExtractor x(root);
    Status st;
    REQUIRE_NOTHROW(st = x.Write(s));
    if (st.ok()) REQUIRE_NOTHROW(x.Finish().IgnoreError());
  }
  // The valid one still extracts; a malformed PAX length is named as corrupt.
  {
    TarExtractor x(dir->Sub("r0"));
    REQUIRE(x.Write(valid).ok());
    CHECK(x.Finish().ok());
  }
  REQUIRE(MakeDirs(dir->Sub("bad"), 0700).ok());
  TarExtractor bad(dir->Sub("bad"));
  CHECK(bad.Write(SampleTar("99999999999999999999999 path=x\n")).code() == StatusCode::kDataLoss);
  // And a well-formed one is obeyed: the next member (PG_VERSION) takes the
  // PAX path.
  REQUIRE(MakeDirs(dir->Sub("pax"), 0700).ok());
  TarExtractor pax(dir->Sub("pax"));
  REQUIRE(pax.Write(SampleTar("18 path=renamed/f\n")).ok());
  CHECK(pax.Finish().ok());
  CHECK(PathExists(dir->Sub("pax/renamed/f")));
}

}  // namespace
}  // namespace tusk::backup
