// The S3 client against a real S3 server on loopback that checks SigV4.
#include <catch2/catch.hpp>

#include "common/s3/s3_client.h"
#include "common/s3/transfer.h"
#include "test/integration/backup/fixtures.h"

namespace tusk::backup::testing {
namespace {

struct Env {
  TempDir dir = std::move(TempDir::Make("tusk-s3").value());
  std::unique_ptr<S3Server> server;
  Env() {
    auto s = S3Server::Start(dir.Sub("s3"), {"tusk"});
    INFO(s.status().ToString());
    REQUIRE(s.ok());
    server = std::move(*s);
  }
  std::unique_ptr<s3::S3Client> Client(const std::string& bucket = "tusk", const std::string& secret = kSecretKey,
                                       int page = 1000) {
    s3::S3Options o;
    o.endpoint_url = server->endpoint();
    o.bucket = bucket;
    o.credentials = {kAccessKey, secret, ""};
    o.list_page_size = page;
    o.first_backoff = std::chrono::milliseconds(10);
    auto c = s3::S3Client::Create(o);
    REQUIRE(c.ok());
    return std::move(*c);
  }
};

TEST_CASE("S3 objects round-trip: put, ranged get, head, list pages, delete") {
  Env env;
  auto client = env.Client("tusk", kSecretKey, 7);
  REQUIRE(client->CheckBucket().ok());
  const std::string body = "0123456789 with spaces & symbols";
  REQUIRE(client->Put("dir/a b+c.txt", body).ok());
  auto got = client->Get("dir/a b+c.txt", 0, 0);
  REQUIRE(got.ok());
  CHECK(*got == body);
  auto range = client->Get("dir/a b+c.txt", 3, 4);
  REQUIRE(range.ok());
  CHECK(*range == "3456");
  auto head = client->Head("dir/a b+c.txt");
  REQUIRE(head.ok());
  CHECK(head->size == body.size());
  for (int i = 0; i < 20; ++i) REQUIRE(client->Put("many/" + std::to_string(100 + i), "x").ok());
  auto listing = client->List("many/", "");
  INFO(listing.status().ToString());
  REQUIRE(listing.ok());
  CHECK(listing->objects.size() == 20);  // three pages of 7
  auto dirs = client->List("", "/");
  REQUIRE(dirs.ok());
  CHECK(dirs->common_prefixes == std::vector<std::string>{"dir/", "many/"});
  REQUIRE(client->Delete("dir/a b+c.txt").ok());
  CHECK(client->Head("dir/a b+c.txt").status().code() == StatusCode::kNotFound);
  CHECK(client->Get("dir/a b+c.txt", 0, 0).status().code() == StatusCode::kNotFound);
  CHECK(client->Delete("dir/never-there").ok());
}

TEST_CASE("S3 multipart uploads stream in parallel parts and download in ranges") {
  Env env;
  auto client = env.Client();
  std::string data(17 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 2654435761u) >> 13);
  {
    s3::StreamingUpload up(client.get(), "big/object", s3::kMinPartSize, 3);
    for (size_t off = 0; off < data.size(); off += 1 << 20) REQUIRE(up.Write(std::string_view(data).substr(off, 1 << 20)).ok());
    REQUIRE(up.Finish().ok());
  }
  auto head = client->Head("big/object");
  REQUIRE(head.ok());
  CHECK(head->size == data.size());
  std::string back;
  REQUIRE(s3::ParallelDownload(client.get(), "big/object", head->size, 3 << 20, 4, [&](std::string_view piece) {
            back.append(piece);
            return OkStatus();
          }).ok());
  CHECK(back == data);
  // An abandoned upload leaves nothing behind under the key.
  {
    s3::StreamingUpload up(client.get(), "big/abandoned", s3::kMinPartSize, 2);
    REQUIRE(up.Write(std::string_view(data).substr(0, 11 << 20)).ok());
  }
  CHECK(client->Head("big/abandoned").status().code() == StatusCode::kNotFound);
}

TEST_CASE("S3 errors say what is wrong: credentials, bucket, reachability") {
  Env env;
  auto wrong = env.Client("tusk", "not-the-secret");
  Status denied = wrong->Put("k", "v");
  CHECK(denied.code() == StatusCode::kPermissionDenied);
  CHECK(denied.message().find("s3Credentials") != std::string::npos);
  auto missing = env.Client("no-such-bucket");
  Status nobucket = missing->Put("k", "v");
  CHECK(nobucket.code() == StatusCode::kNotFound);
  CHECK(nobucket.message().find("bucket does not exist") != std::string::npos);
  CHECK(missing->CheckBucket().message().find("does not exist") != std::string::npos);
  s3::S3Options o;
  o.endpoint_url = "http://127.0.0.1:" + std::to_string(FreeLoopbackPort());
  o.bucket = "tusk";
  o.credentials = {kAccessKey, kSecretKey, ""};
  o.max_attempts = 2;
  o.first_backoff = std::chrono::milliseconds(10);
  auto down = s3::S3Client::Create(o);
  REQUIRE(down.ok());
  Status unreachable = (*down)->Put("k", "v");
  CHECK(unreachable.code() == StatusCode::kUnavailable);
  CHECK(unreachable.message().find("cannot reach") != std::string::npos);
}

}  // namespace
}  // namespace tusk::backup::testing
