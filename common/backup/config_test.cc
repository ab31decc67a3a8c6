#include "common/backup/config.h"

#include <catch2/catch.hpp>

#include "common/backup/command_args.h"

namespace tusk::backup {
namespace {

TEST_CASE("object store configuration reads barmanObjectStore's field names") {
  auto c = ParseObjectStoreConfig(R"({
    "destinationPath": "s3://bucket/path", "endpointURL": "http://127.0.0.1:9000", "serverName": "pg",
    "s3Credentials": {"accessKeyId": {"value": "AK"}, "secretAccessKey": "SK", "sessionToken": "TOK",
                      "region": "eu-west-1"},
    "wal": {"compression": "zstd", "maxParallel": 8}, "data": {"compression": "bzip2", "jobs": 4},
    "retentionPolicy": "30d"})",
                                  nullptr);
  REQUIRE(c.ok());
  CHECK(c->credentials.access_key_id == "AK");
  CHECK(c->credentials.secret_access_key == "SK");
  CHECK(c->credentials.session_token == "TOK");
  CHECK(c->region == "eu-west-1");
  CHECK(c->wal_compression == Codec::kZstd);
  CHECK(c->wal_max_parallel == 8);
  CHECK(c->data_compression == Codec::kBzip2);
  CHECK(c->data_jobs == 4);
  CHECK(LayoutFor(*c)->WalsPrefix() == "path/pg/wals/");
}

TEST_CASE("credentials fall back to the AWS environment and bad settings are refused") {
  char ak[] = "AWS_ACCESS_KEY_ID=envkey";
  char sk[] = "AWS_SECRET_ACCESS_KEY=envsecret";
  char* env[] = {ak, sk, nullptr};
  auto c = ParseObjectStoreConfig(R"({"destinationPath": "s3://b", "serverName": "s"})", env);
  REQUIRE(c.ok());
  CHECK(c->credentials.access_key_id == "envkey");
  CHECK(c->credentials.secret_access_key == "envsecret");
  CHECK(ParseObjectStoreConfig(R"({"destinationPath": "s3://b", "serverName": "s"})", nullptr)
            .status().message().find("no S3 credentials") != std::string::npos);
  CHECK(!ParseObjectStoreConfig(R"({"destinationPath": "s3://b", "serverName": "s", "data": {"compression": "zstd"}})", env).ok());
  CHECK(!ParseObjectStoreConfig(R"({"destinationPath": "s3://b", "serverName": "s", "wal": {"maxParallel": 0}})", env).ok());
  CHECK(!ParseObjectStoreConfig("not json", env).ok());
}

TEST_CASE("command flags take values inline or separately and reject unknown names") {
  auto a = ParseCommandArgs({"--config=/c.json", "--socket", "/s", "pg_wal/0001"}, {"config", "socket"});
  REQUIRE(a.ok());
  CHECK(a->Get("config", nullptr) == "/c.json");
  CHECK(a->Get("socket", nullptr) == "/s");
  CHECK(a->positional == std::vector<std::string>{"pg_wal/0001"});
  CHECK(!ParseCommandArgs({"--nope", "x"}, {"config"}).ok());
  CHECK(!ParseCommandArgs({"--config"}, {"config"}).ok());
}

}  // namespace
}  // namespace tusk::backup
