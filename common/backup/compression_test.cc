#include "common/backup/compression.h"

#include <catch2/catch.hpp>

#include <random>

namespace tusk::backup {
namespace {

std::string Sample(size_t n) {
  std::mt19937 rng(42);
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(i % 7 == 0 ? static_cast<char>(rng()) : static_cast<char>('a' + i % 13));
  return s;
}

TEST_CASE("every codec round-trips, whole and streamed in small pieces") {
  const std::string data = Sample(3 << 20);
  for (Codec codec : {Codec::kNone, Codec::kGzip, Codec::kBzip2, Codec::kLz4, Codec::kZstd}) {
    INFO(CodecName(codec));
    auto packed = Compress(codec, data);
    REQUIRE(packed.ok());
    if (codec != Codec::kNone) CHECK(packed->size() < data.size());
    auto back = Decompress(codec, *packed);
    REQUIRE(back.ok());
    CHECK(*back == data);
    auto dec = MakeDecompressor(codec);
    REQUIRE(dec.ok());
    std::string out;
    for (size_t off = 0; off < packed->size(); off += 1000) {
      REQUIRE((*dec)->Write(std::string_view(*packed).substr(off, 1000), &out).ok());
    }
    REQUIRE((*dec)->Finish(&out).ok());
    CHECK(out == data);
  }
}

TEST_CASE("gzip output is a gzip member and truncated input is an error") {
  auto packed = Compress(Codec::kGzip, "hello");
  REQUIRE(packed.ok());
  CHECK(static_cast<unsigned char>((*packed)[0]) == 0x1f);
  CHECK(static_cast<unsigned char>((*packed)[1]) == 0x8b);
  auto big = Compress(Codec::kGzip, Sample(1 << 20));
  REQUIRE(big.ok());
  CHECK(!Decompress(Codec::kGzip, big->substr(0, big->size() / 2)).ok());
}

TEST_CASE("codec names map to barman-cloud's file extensions") {
  CHECK(CodecExtension(*ParseCodec("gzip")) == ".gz");
  CHECK(CodecExtension(*ParseCodec("bzip2")) == ".bz2");
  CHECK(CodecExtension(*ParseCodec("lz4")) == ".lz4");
  CHECK(CodecExtension(*ParseCodec("zstd")) == ".zst");
  CHECK(ParseCodec("snappy").status().code() == StatusCode::kUnimplemented);
  CHECK(!ParseCodec("brotli").ok());
}

}  // namespace
}  // namespace tusk::backup
