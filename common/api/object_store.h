// barmancloud.cnpg.io/v1 ObjectStore: where the Barman Cloud plugin keeps
// base backups and WAL. Typed fields for what Tusk reads; the rest (credential
// blocks, sidecar settings) is carried in `raw`.
#pragma once

#include "common/api/meta.h"

namespace tusk::api {

struct ObjectStore {
  static constexpr char kApiVersion[] = "barmancloud.cnpg.io/v1";
  static constexpr char kKind[] = "ObjectStore";
  static constexpr char kResource[] = "objectstores";

  ObjectMeta metadata;
  struct Spec {
    std::optional<std::string> destination_path, endpoint_url, server_name, retention_policy;
    std::optional<std::string> wal_compression, data_compression, endpoint_ca_secret;
    std::optional<int64_t> wal_max_parallel, data_jobs;
    std::optional<bool> has_s3, has_azure, has_google;
  } spec;
  Json raw;

  template <typename V, typename Self>
  static void Visit(V& v, Self& o) {
    auto& s = o.spec;
    v("/spec/configuration/destinationPath", s.destination_path);
    v("/spec/configuration/endpointURL", s.endpoint_url);
    v("/spec/configuration/serverName", s.server_name);
    v("/spec/configuration/endpointCA/name", s.endpoint_ca_secret);
    v("/spec/configuration/wal/compression", s.wal_compression);
    v("/spec/configuration/wal/maxParallel", s.wal_max_parallel);
    v("/spec/configuration/data/compression", s.data_compression);
    v("/spec/configuration/data/jobs", s.data_jobs);
    v("/spec/retentionPolicy", s.retention_policy);
  }
};

StatusOr<ObjectStore> ObjectStoreFromJson(const Json& doc);
Json ToJson(const ObjectStore& store);
FieldErrors Validate(const ObjectStore& store);

}  // namespace tusk::api
