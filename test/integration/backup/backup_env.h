// One backup test's world: a temp dir the postgres user can enter, a loopback
// S3 server with a bucket, and object-store configuration files pointing at it.
#pragma once

#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/backup/config.h"
#include "common/backup/layout.h"
#include "test/integration/backup/fixtures.h"

namespace tusk::backup::testing {

inline const char* kServerName = "cluster-example";

struct BackupEnv {
  TempDir dir = std::move(TempDir::Make("tusk-backup").value());
  std::unique_ptr<S3Server> s3;
  std::string config;

  explicit BackupEnv(const std::string& wal_codec = "gzip", const std::string& data_codec = "gzip", int parallel = 4) {
    ::chmod(dir.path().c_str(), 0755);
    auto s = S3Server::Start(dir.Sub("s3data"), {"tusk"});
    INFO(s.status().ToString());
    REQUIRE(s.ok());
    s3 = std::move(*s);
    config = WriteConfig("store.json", "tusk", kSecretKey, wal_codec, data_codec, parallel);
  }

  std::string WriteConfig(const std::string& name, const std::string& bucket, const std::string& secret,
                          const std::string& wal_codec, const std::string& data_codec, int parallel) {
    nlohmann::json j = {{"destinationPath", "s3://" + bucket + "/backups"},
                        {"endpointURL", s3->endpoint()},
                        {"serverName", kServerName},
                        {"s3Credentials", {{"accessKeyId", kAccessKey}, {"secretAccessKey", secret}}},
                        {"wal", {{"compression", wal_codec}, {"maxParallel", parallel}}},
                        {"data", {{"compression", data_codec}, {"jobs", 2}}}};
    std::string path = dir.Sub(name);
    REQUIRE(WriteFile(path, j.dump(2), 0644).ok());
    return path;
  }

  ObjectStoreConfig Config() const {
    auto c = LoadObjectStoreConfig(config, nullptr);
    REQUIRE(c.ok());
    return *c;
  }
  std::unique_ptr<s3::ObjectStore> Store() const {
    auto s = OpenObjectStore(Config());
    REQUIRE(s.ok());
    return std::move(*s);
  }
  Layout layout() const { return *LayoutFor(Config()); }

  std::vector<std::string> Keys(const std::string& prefix = "") const {
    auto listing = Store()->List(prefix);
    REQUIRE(listing.ok());
    std::vector<std::string> keys;
    for (const auto& o : listing->objects) keys.push_back(o.key);
    return keys;
  }

  // `binary` where the postgres user can execute it, for what postgres runs
  // itself (see PostgresExecutable: a checkout under /root is out of its reach).
  std::string PostgresTool(const std::string& binary) const {
    auto path = PostgresExecutable(binary, dir.path());
    INFO(path.status().ToString());
    REQUIRE(path.ok());
    return *path;
  }

  std::string ArchiveCommand(const std::string& extra = "") const {
    return PostgresTool(TUSK_BACKUP_TOOL) + " wal-archive --config " + config + " " + extra + " %p";
  }

  // The environment barman-cloud's tools need to reach the same store.
  std::vector<std::string> BarmanEnv() const {
    return {"AWS_ACCESS_KEY_ID=" + std::string(kAccessKey), "AWS_SECRET_ACCESS_KEY=" + std::string(kSecretKey),
            "AWS_DEFAULT_REGION=us-east-1", "HOME=/tmp"};
  }
  std::string BarmanUrl() const { return "s3://tusk/backups"; }

  // Runs the backup tool (as postgres when `as_postgres`), returning its result.
  SubprocessResult Tool(const std::vector<std::string>& args, bool as_postgres = false) const {
    std::vector<std::string> argv = {as_postgres ? PostgresTool(TUSK_BACKUP_TOOL) : std::string(TUSK_BACKUP_TOOL)};
    argv.insert(argv.end(), args.begin(), args.end());
    SubprocessOptions o;
    o.argv = argv;
    StatusOr<SubprocessResult> r = as_postgres ? RunAsPostgres(argv, {}, std::chrono::seconds(300))
                                               : RunSubprocess(o, std::chrono::seconds(300));
    REQUIRE(r.ok());
    return *r;
  }
};

}  // namespace tusk::backup::testing
