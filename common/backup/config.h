// The object-store settings every backup command reads, named as
// CloudNativePG's barmanObjectStore names them, from a JSON file with the
// secrets already resolved (environment variables fill what it leaves out):
//   {"destinationPath": "s3://bucket/path", "endpointURL": "http://...",
//    "serverName": "cluster-example",
//    "s3Credentials": {"accessKeyId": "...", "secretAccessKey": "...",
//                      "sessionToken": "...", "region": "us-east-1"},
//    "endpointCA": "-----BEGIN CERTIFICATE-----...",
//    "wal": {"compression": "gzip", "maxParallel": 8},
//    "data": {"compression": "gzip", "jobs": 2}}
#pragma once

#include <memory>
#include <string>

#include "common/backup/compression.h"
#include "common/backup/layout.h"
#include "common/base/status.h"
#include "common/s3/object_store.h"
#include "common/s3/sigv4.h"

namespace tusk::backup {

struct ObjectStoreConfig {
  std::string destination_path;
  std::string endpoint_url;
  std::string server_name;
  std::string region = "us-east-1";
  s3::Credentials credentials;
  std::string ca_pem;  // endpointCA, or the file AWS_CA_BUNDLE names; empty: system CAs
  Codec wal_compression = Codec::kNone;
  int wal_max_parallel = 1;
  Codec data_compression = Codec::kNone;
  int data_jobs = 2;
  std::string retention_policy;  // "30d", "4w", "3m"; empty keeps everything
};

// `env` is consulted for AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN, AWS_REGION/AWS_DEFAULT_REGION and AWS_CA_BUNDLE (a PEM
// file's path, as barman-cloud's tools read it) when the JSON lacks them.
StatusOr<ObjectStoreConfig> ParseObjectStoreConfig(const std::string& json, char** env);
StatusOr<ObjectStoreConfig> LoadObjectStoreConfig(const std::string& path, char** env);

StatusOr<Layout> LayoutFor(const ObjectStoreConfig& config);
StatusOr<std::unique_ptr<s3::ObjectStore>> OpenObjectStore(const ObjectStoreConfig& config);

}  // namespace tusk::backup
