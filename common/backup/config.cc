#include "common/backup/config.h"

#include <cstring>

#include <nlohmann/json.hpp>

#include "common/base/files.h"
#include "common/s3/s3_client.h"

namespace tusk::backup {
namespace {

std::string EnvValue(char** env, const std::string& name) {
  if (env == nullptr) return "";
  for (char** e = env; *e != nullptr; ++e) {
    if (std::strncmp(*e, name.c_str(), name.size()) == 0 && (*e)[name.size()] == '=') return *e + name.size() + 1;
  }
  return "";
}

// A credential field is a string, or {"value": "..."} for symmetry with
// secret references resolved by the caller.
std::string Field(const nlohmann::json& obj, const char* name) {
  if (!obj.is_object() || !obj.contains(name)) return "";
  const auto& v = obj.at(name);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("value") && v.at("value").is_string()) return v.at("value").get<std::string>();
  return "";
}

}  // namespace

StatusOr<ObjectStoreConfig> ParseObjectStoreConfig(const std::string& text, char** env) {
  ObjectStoreConfig c;
  try {
    auto j = nlohmann::json::parse(text);
    if (!j.is_object()) return InvalidArgumentError("the object store configuration must be a JSON object");
    c.destination_path = j.value("destinationPath", "");
    c.endpoint_url = j.value("endpointURL", "");
    c.server_name = j.value("serverName", "");
    c.retention_policy = j.value("retentionPolicy", "");
    c.ca_pem = Field(j, "endpointCA");
    nlohmann::json creds = j.value("s3Credentials", nlohmann::json::object());
    c.credentials.access_key_id = Field(creds, "accessKeyId");
    c.credentials.secret_access_key = Field(creds, "secretAccessKey");
    c.credentials.session_token = Field(creds, "sessionToken");
    std::string region = Field(creds, "region");
    if (!region.empty()) c.region = region;
    nlohmann::json wal = j.value("wal", nlohmann::json::object());
    ASSIGN_OR_RETURN(c.wal_compression, ParseCodec(wal.value("compression", "")));
    c.wal_max_parallel = wal.value("maxParallel", 1);
    nlohmann::json data = j.value("data", nlohmann::json::object());
    ASSIGN_OR_RETURN(c.data_compression, ParseCodec(data.value("compression", "")));
    c.data_jobs = data.value("jobs", 2);
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(std::string("object store configuration: ") + e.what());
  }
  if (c.credentials.access_key_id.empty()) c.credentials.access_key_id = EnvValue(env, "AWS_ACCESS_KEY_ID");
  if (c.credentials.secret_access_key.empty()) c.credentials.secret_access_key = EnvValue(env, "AWS_SECRET_ACCESS_KEY");
  if (c.credentials.session_token.empty()) c.credentials.session_token = EnvValue(env, "AWS_SESSION_TOKEN");
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (c.region == "us-east-1" && !EnvValue(env, name).empty()) c.region = EnvValue(env, name);
  }
  if (c.ca_pem.empty() && !EnvValue(env, "AWS_CA_BUNDLE").empty()) {
    auto bundle = ReadFile(EnvValue(env, "AWS_CA_BUNDLE"));
    if (!bundle.ok()) return bundle.status().WithContext("reading AWS_CA_BUNDLE");
    c.ca_pem = *bundle;
  }
  if (c.destination_path.empty()) return InvalidArgumentError("object store configuration has no destinationPath");
  if (c.server_name.empty()) return InvalidArgumentError("object store configuration has no serverName");
  if (c.credentials.access_key_id.empty() || c.credentials.secret_access_key.empty()) {
    return InvalidArgumentError("no S3 credentials: set s3Credentials.accessKeyId/secretAccessKey or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY");
  }
  if (c.wal_max_parallel < 1 || c.wal_max_parallel > 64) return InvalidArgumentError("wal.maxParallel must be 1..64");
  if (c.data_jobs < 1 || c.data_jobs > 64) return InvalidArgumentError("data.jobs must be 1..64");
  if (c.data_compression == Codec::kLz4 || c.data_compression == Codec::kZstd) {
    return InvalidArgumentError("data.compression must be gzip, bzip2 or empty: barman-cloud cannot read other base backup compressions");
  }
  return c;
}

StatusOr<ObjectStoreConfig> LoadObjectStoreConfig(const std::string& path, char** env) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  auto c = ParseObjectStoreConfig(text, env);
  if (!c.ok()) return c.status().WithContext(path);
  return c;
}

StatusOr<Layout> LayoutFor(const ObjectStoreConfig& config) {
  ASSIGN_OR_RETURN(Destination d, ParseDestinationPath(config.destination_path));
  return Layout(d, config.server_name);
}

StatusOr<std::unique_ptr<s3::ObjectStore>> OpenObjectStore(const ObjectStoreConfig& config) {
  ASSIGN_OR_RETURN(Destination d, ParseDestinationPath(config.destination_path));
  s3::S3Options o;
  o.endpoint_url = config.endpoint_url;
  o.region = config.region;
  o.bucket = d.bucket;
  o.credentials = config.credentials;
  o.ca_pem = config.ca_pem;
  o.max_connections = static_cast<size_t>(std::max(config.wal_max_parallel, config.data_jobs) + 4);
  ASSIGN_OR_RETURN(auto client, s3::S3Client::Create(o));
  return std::unique_ptr<s3::ObjectStore>(std::move(client));
}

}  // namespace tusk::backup
