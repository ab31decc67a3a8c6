#include "common/s3/http_parse.h"

#include <catch2/catch.hpp>

#include "common/s3/http_connection.h"
#include "common/s3/s3_client.h"
#include "common/s3/xml.h"
#include "test/unit/fuzz_inputs.h"

namespace tusk::s3 {
namespace {

using testing::HugeNumbers;
using testing::Mutations;
using testing::RandomInputs;
using testing::Truncations;

// Every input of a parser's fuzz run: noise, near-misses and the edges.
std::vector<std::string> Inputs(uint64_t seed, const std::vector<std::string>& valid, const std::string& alphabet) {
  std::vector<std::string> all = RandomInputs(seed, 2000, 64);
  for (auto& s : RandomInputs(seed + 1, 2000, 64, alphabet)) all.push_back(std::move(s));
  for (const auto& v : valid) {
    for (auto& s : Truncations(v)) all.push_back(std::move(s));
    for (auto& s : Mutations(seed + 2, v, 500)) all.push_back(std::move(s));
  }
  for (auto& s : HugeNumbers()) all.push_back(std::move(s));
  return all;
}

TEST_CASE("http parse: status lines give a code and the keep-alive default, or an error") {
  auto ok = ParseStatusLine("HTTP/1.1 206 Partial Content");
  REQUIRE(ok.ok());
  CHECK(ok->code == 206);
  CHECK(ok->keep_alive);
  auto old = ParseStatusLine("HTTP/1.0 200");
  REQUIRE(old.ok());
  CHECK(!old->keep_alive);
  CHECK(!ParseStatusLine("HTTP/1.1 2x0 OK").ok());
  CHECK(!ParseStatusLine("HTTP/1.1 99999999999 OK").ok());
  CHECK(!ParseStatusLine("HTTP/1.1 700 OK").ok());
  CHECK(!ParseStatusLine("SSH-2.0-OpenSSH").ok());
}

TEST_CASE("http parse: Content-Length and chunk sizes are bounded numbers") {
  CHECK(ParseContentLength(" 16777216 ").value_or(0) == 16777216);
  CHECK(ParseChunkSize("1a2b;name=value").value_or(0) == 0x1a2b);
  // A length that cannot be allocated is refused before any read.
  CHECK(!ParseContentLength("99999999999999999999").ok());
  CHECK(!ParseContentLength("6442450944").ok());  // 6 GiB
  CHECK(ParseContentLength("6442450944", UINT64_MAX).value_or(0) == 6442450944u);
  CHECK(!ParseChunkSize("ffffffffffffffffff").ok());
  CHECK(!ParseContentLength("-1").ok());
  CHECK(!ParseContentLength("12abc").ok());
  CHECK(!ParseContentLength("").ok());
  CHECK(!ParseChunkSize("xyz").ok());
}

TEST_CASE("http parse: header lines split at the first colon; a line without a name is an error") {
  auto h = ParseHeaderLine("ETag:  \"abc:def\" \t");
  REQUIRE(h.ok());
  CHECK(h->first == "ETag");
  CHECK(h->second == "\"abc:def\"");
  CHECK(!ParseHeaderLine("no colon here").ok());
  CHECK(!ParseHeaderLine(": value").ok());
  CHECK(!ParseHeaderLine("bad name: value").ok());
}

// The fuzz runs: whatever the server sends, a parser returns a value or an
// error; a throw fails the test, a crash fails the binary.
TEST_CASE("http parse fuzz: status lines") {
  size_t accepted = 0;
  for (const auto& in : Inputs(1, {"HTTP/1.1 200 OK", "HTTP/1.0 404 Not Found"}, "HTP/1.0 2345OK")) {
    StatusOr<StatusLine> r = InvalidArgumentError("unset");
    REQUIRE_NOTHROW(r = ParseStatusLine(in));
    if (r.ok()) {
      ++accepted;
      CHECK((r->code >= 100 && r->code <= 599));
    }
  }
  CHECK(accepted > 0);
}

TEST_CASE("http parse fuzz: header lines, Content-Length, chunk sizes") {
  for (const auto& in : Inputs(2, {"Content-Length: 123", "Transfer-Encoding: chunked"}, "Content-Length: 0123\t")) {
    REQUIRE_NOTHROW(ParseHeaderLine(in).status().IgnoreError());
  }
  for (const auto& in : Inputs(3, {"16777216", "0"}, "0123456789 +-")) {
    StatusOr<uint64_t> r = InvalidArgumentError("unset");
    REQUIRE_NOTHROW(r = ParseContentLength(in));
    if (r.ok()) CHECK(*r <= kMaxBodyBytes);
  }
  for (const auto& in : Inputs(4, {"1000000;ext=1", "0"}, "0123456789abcdefABCDEF;= ")) {
    StatusOr<uint64_t> r = InvalidArgumentError("unset");
    REQUIRE_NOTHROW(r = ParseChunkSize(in));
    if (r.ok()) CHECK(*r <= kMaxBodyBytes);
  }
}

TEST_CASE("http parse fuzz: endpoint URLs") {
  for (const auto& in : Inputs(5, {"https://[::1]:9000/bucket", "http://minio.tusk:9000"}, "htps:/[]:0123456789.a")) {
    StatusOr<Endpoint> r = InvalidArgumentError("unset");
    REQUIRE_NOTHROW(r = ParseEndpoint(in));
    if (r.ok()) {
      CHECK(!r->host.empty());
      CHECK((r->port > 0 && r->port <= 65535));
    }
  }
  CHECK(!ParseEndpoint("http://host:99999999999999999999").ok());
  CHECK(!ParseEndpoint("http://host:9000x").ok());
  CHECK(!ParseEndpoint("http://[::1]x").ok());
}

TEST_CASE("xml fuzz: S3 listings and errors of any shape read without a throw") {
  const std::string listing =
      "<?xml version=\"1.0\"?><ListBucketResult><IsTruncated>true</IsTruncated>"
      "<Contents><Key>a&amp;b&#x263A;&#128512;</Key><Size>18446744073709551616</Size><ETag>&quot;x&quot;</ETag>"
      "</Contents><CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes>"
      "<NextContinuationToken>t</NextContinuationToken></ListBucketResult>";
  for (const auto& in : Inputs(6, {listing}, "<>/&;#x0123456789ContentsKeySize\"")) {
    REQUIRE_NOTHROW(ParseListPage(in));
    REQUIRE_NOTHROW(XmlRoot(in));
    REQUIRE_NOTHROW(XmlUnescape(in));
  }
  CHECK(XmlUnescape("&#x263A;&#99999999999999999999;&#-5;&#xZZ;") ==
        "\xE2\x98\xBA&#99999999999999999999;&#-5;&#xZZ;");
  CHECK(XmlUnescape("&#128512;") == "\xF0\x9F\x98\x80");
}

}  // namespace
}  // namespace tusk::s3
