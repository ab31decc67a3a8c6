#include "common/api/pooler.h"

#include <algorithm>

namespace tusk::api {

StatusOr<Pooler> PoolerFromJson(const Json& doc) {
  ASSIGN_OR_RETURN(Pooler p, ParseResource<Pooler>(doc));
  Json::json_pointer ptr("/spec/pgbouncer");
  if (doc.contains(ptr) && doc.at(ptr).is_object()) p.spec.has_pgbouncer = true;
  return p;
}

Json ToJson(const Pooler& pooler) {
  Json out = SerializeResource(pooler);
  if (pooler.spec.has_pgbouncer.value_or(false) && !out["spec"].contains("pgbouncer")) {
    out["spec"]["pgbouncer"] = Json::object();
  }
  return out;
}

void ApplyDefaults(Pooler* pooler) {
  auto& s = pooler->spec;
  Default(s.type, "rw");
  Default(s.instances, 1);
  if (s.has_pgbouncer.value_or(false)) {
    Default(s.pool_mode, "session");
    Default(s.paused, false);
  }
}

FieldErrors Validate(const Pooler& pooler) {
  FieldErrors errs;
  const auto& s = pooler.spec;
  if (!pooler.metadata.name) errs.Required("metadata.name");
  if (!s.cluster || s.cluster->empty()) errs.Required("spec.cluster.name");
  if (!s.has_pgbouncer.value_or(false)) errs.Required("spec.pgbouncer");
  if (pooler.metadata.name && s.cluster && *pooler.metadata.name == *s.cluster) {
    errs.Invalid("metadata.name", *pooler.metadata.name, "the pooler resource cannot have the same name of a cluster");
  }
  if (s.type && *s.type != "rw" && *s.type != "ro" && *s.type != "r") {
    errs.NotSupported("spec.type", *s.type, {"rw", "ro", "r"});
  }
  if (s.pool_mode && *s.pool_mode != "session" && *s.pool_mode != "transaction") {
    errs.NotSupported("spec.pgbouncer.poolMode", *s.pool_mode, {"session", "transaction"});
  }
  if (s.instances && *s.instances < 0) errs.Invalid("spec.instances", *s.instances, "must be greater than or equal to 0");
  if (s.auth_query_secret && !s.auth_query) {
    errs.Required("spec.pgbouncer.authQuery", "authQuerySecret requires authQuery to be set");
  }
  return errs;
}

}  // namespace tusk::api
