// postgresql.cnpg.io/v1 Pooler (PgBouncer in front of a Cluster): typed
// fields, CRD defaults and admission checks; unmodelled fields stay in `raw`.
#pragma once

#include "common/api/meta.h"

namespace tusk::api {

struct Pooler {
  static constexpr char kApiVersion[] = "postgresql.cnpg.io/v1";
  static constexpr char kKind[] = "Pooler";
  static constexpr char kResource[] = "poolers";

  ObjectMeta metadata;
  struct Spec {
    std::optional<std::string> cluster, type, pool_mode, auth_query, auth_query_secret, image;
    std::optional<int64_t> instances;
    std::optional<bool> paused, has_pgbouncer;
    std::optional<std::map<std::string, std::string>> parameters;
    std::optional<std::vector<std::string>> pg_hba;
  } spec;
  struct StatusFields {
    std::optional<int64_t> instances;
    std::optional<std::string> phase, phase_reason, image, error;
  } status;
  Json raw;

  template <typename V, typename Self>
  static void Visit(V& v, Self& p) {
    v("/spec/cluster/name", p.spec.cluster);
    v("/spec/type", p.spec.type);
    v("/spec/instances", p.spec.instances);
    v("/spec/pgbouncer/poolMode", p.spec.pool_mode);
    v("/spec/pgbouncer/authQuery", p.spec.auth_query);
    v("/spec/pgbouncer/authQuerySecret/name", p.spec.auth_query_secret);
    v("/spec/pgbouncer/image", p.spec.image);
    v("/spec/pgbouncer/paused", p.spec.paused);
    v("/spec/pgbouncer/parameters", p.spec.parameters);
    v("/spec/pgbouncer/pg_hba", p.spec.pg_hba);
    v("/status/instances", p.status.instances);
    v("/status/phase", p.status.phase);
    v("/status/phaseReason", p.status.phase_reason);
    v("/status/image", p.status.image);
    v("/status/error", p.status.error);
  }
};

inline constexpr char kDefaultPgbouncerAuthQuery[] = "SELECT usename, passwd FROM public.user_search($1)";

StatusOr<Pooler> PoolerFromJson(const Json& doc);
Json ToJson(const Pooler& pooler);
void ApplyDefaults(Pooler* pooler);
FieldErrors Validate(const Pooler& pooler);

}  // namespace tusk::api
