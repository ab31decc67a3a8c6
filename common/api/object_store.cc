#include "common/api/object_store.h"

#include <algorithm>
#include <regex>

namespace tusk::api {
namespace {

bool HasObject(const Json& doc, const char* pointer) {
  Json::json_pointer ptr(pointer);
  return doc.contains(ptr) && doc.at(ptr).is_object();
}

}  // namespace

StatusOr<ObjectStore> ObjectStoreFromJson(const Json& doc) {
  ASSIGN_OR_RETURN(ObjectStore o, ParseResource<ObjectStore>(doc));
  if (HasObject(doc, "/spec/configuration/s3Credentials")) o.spec.has_s3 = true;
  if (HasObject(doc, "/spec/configuration/azureCredentials")) o.spec.has_azure = true;
  if (HasObject(doc, "/spec/configuration/googleCredentials")) o.spec.has_google = true;
  return o;
}

Json ToJson(const ObjectStore& store) { return SerializeResource(store); }

FieldErrors Validate(const ObjectStore& store) {
  FieldErrors errs;
  const auto& s = store.spec;
  if (!store.metadata.name) errs.Required("metadata.name");
  if (!s.destination_path || s.destination_path->empty()) errs.Required("spec.configuration.destinationPath");
  int providers = s.has_s3.value_or(false) + s.has_azure.value_or(false) + s.has_google.value_or(false);
  if (providers > 1) {
    errs.Invalid("spec.configuration", "object", "only one of s3Credentials, azureCredentials, googleCredentials may be set");
  }
  const std::vector<std::string> wal = {"bzip2", "gzip", "lz4", "snappy", "xz", "zstd"};
  const std::vector<std::string> data = {"bzip2", "gzip", "lz4", "snappy"};
  if (s.wal_compression && std::find(wal.begin(), wal.end(), *s.wal_compression) == wal.end()) {
    errs.NotSupported("spec.configuration.wal.compression", *s.wal_compression, wal);
  }
  if (s.data_compression && std::find(data.begin(), data.end(), *s.data_compression) == data.end()) {
    errs.NotSupported("spec.configuration.data.compression", *s.data_compression, data);
  }
  if (s.wal_max_parallel && *s.wal_max_parallel < 1) {
    errs.Invalid("spec.configuration.wal.maxParallel", *s.wal_max_parallel, "must be greater than or equal to 1");
  }
  if (s.data_jobs && *s.data_jobs < 1) {
    errs.Invalid("spec.configuration.data.jobs", *s.data_jobs, "must be greater than or equal to 1");
  }
  if (s.retention_policy && !std::regex_match(*s.retention_policy, std::regex("^[1-9][0-9]*[dwm]$"))) {
    errs.Invalid("spec.retentionPolicy", *s.retention_policy, "should match '^[1-9][0-9]*[dwm]$'");
  }
  return errs;
}

}  // namespace tusk::api
