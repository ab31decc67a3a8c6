#include "operator/specs/metadata.h"

namespace tusk::op::specs {

Json InstancePvc(const api::Cluster& cluster, int serial, PvcRole role, const OperatorSettings& settings) {
  const api::ClusterSpec& s = cluster.spec;
  const bool data = role == PvcRole::kData;
  const std::string pod = InstanceName(internal::ClusterName(cluster), serial);
  Json meta = internal::ObjectMetadata(cluster, data ? DataPvcName(pod) : WalPvcName(pod), settings);
  meta["labels"][kInstanceNameLabel] = pod;
  meta["labels"][kPvcRoleLabel] = data ? "PG_DATA" : "PG_WAL";
  meta["annotations"][kNodeSerialAnnotation] = std::to_string(serial);
  meta["annotations"][kPvcStatusAnnotation] = kPvcStatusInitializing;

  const std::optional<Json>& tmpl = data ? s.storage_pvc_template : s.wal_storage_pvc_template;
  const std::optional<std::string>& size = data ? s.storage_size : s.wal_storage_size;
  const std::optional<std::string>& storage_class = data ? s.storage_class : s.wal_storage_class;
  Json spec = tmpl && tmpl->is_object() ? *tmpl : Json::object();
  if (!spec.contains("accessModes") || !spec["accessModes"].is_array() || spec["accessModes"].empty()) {
    spec["accessModes"] = {"ReadWriteOnce"};
  }
  // The explicit fields win over the template's (the webhook allows both).
  if (size) {
    if (!spec["resources"].is_object()) spec["resources"] = Json::object();
    if (!spec["resources"]["requests"].is_object()) spec["resources"]["requests"] = Json::object();
    spec["resources"]["requests"]["storage"] = *size;
  }
  if (storage_class) spec["storageClassName"] = *storage_class;
  return {{"apiVersion", "v1"},
          {"kind", "PersistentVolumeClaim"},
          {"metadata", std::move(meta)},
          {"spec", std::move(spec)}};
}

}  // namespace tusk::op::specs
