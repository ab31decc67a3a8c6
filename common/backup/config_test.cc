#include "common/backup/config.h"

#include <catch2/catch.hpp>

#include "common/backup/command_args.h"
#include "common/base/files.h"

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

TEST_CASE("the object store's CA comes from endpointCA, else from the file AWS_CA_BUNDLE names") {
  auto dir = TempDir::Make("tusk-config-ca");
  REQUIRE(dir.ok());
  const std::string bundle = dir->Sub("ca.pem");
  REQUIRE(WriteFile(bundle, "-----BEGIN CERTIFICATE-----\nfrom-the-file\n", 0600).ok());
  std::string ca_env = "AWS_CA_BUNDLE=" + bundle;
  char ak[] = "AWS_ACCESS_KEY_ID=k";
  char sk[] = "AWS_SECRET_ACCESS_KEY=s";
  char* env[] = {ak, sk, ca_env.data(), nullptr};
  auto from_json = ParseObjectStoreConfig(
      R"({"destinationPath": "s3://b", "serverName": "s", "endpointCA": {"value": "inline-pem"}})", env);
  REQUIRE(from_json.ok());
  CHECK(from_json->ca_pem == "inline-pem");
  auto from_env = ParseObjectStoreConfig(R"({"destinationPath": "s3://b", "serverName": "s"})", env);
  REQUIRE(from_env.ok());
  CHECK(from_env->ca_pem == "-----BEGIN CERTIFICATE-----\nfrom-the-file\n");
  std::string missing = "AWS_CA_BUNDLE=" + dir->Sub("none.pem");
  char* bad_env[] = {ak, sk, missing.data(), nullptr};
  auto unreadable = ParseObjectStoreConfig(R"({"destinationPath": "s3://b", "serverName": "s"})", bad_env);
  REQUIRE_FALSE(unreadable.ok());
  CHECK(unreadable.status().message().find("AWS_CA_BUNDLE") != std::string::npos);
  // A bundle without a certificate is refused when the store is opened.
  from_json->endpoint_url = "https://127.0.0.1:9";
  CHECK(OpenObjectStore(*from_json).status().code() == StatusCode::kInvalidArgument);
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
