#include "common/pg/config_render.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "common/base/sha256.h"

namespace tusk::pg {
namespace {

// CloudNativePG's defaults, which the user's parameters override.
const std::map<std::string, std::string>& DefaultParameters() {
  static const auto* kDefaults = new std::map<std::string, std::string>{
      {"archive_timeout", "5min"},        {"dynamic_shared_memory_type", "posix"},
      {"full_page_writes", "on"},         {"max_parallel_workers", "32"},
      {"max_worker_processes", "32"},     {"max_replication_slots", "32"},
      {"shared_memory_type", "mmap"},     {"wal_keep_size", "512MB"},
      {"wal_level", "logical"},           {"wal_log_hints", "on"},
      {"wal_sender_timeout", "5s"},       {"wal_receiver_timeout", "5s"},
  };
  return *kDefaults;
}

// Operator-managed: the user may repeat the computed value, nothing else.
const std::set<std::string>& FixedParameters() {
  static const auto* kFixed = new std::set<std::string>{
      "archive_mode", "cluster_name", "port", "primary_conninfo", "primary_slot_name",
      "recovery_target", "recovery_target_action", "recovery_target_inclusive",
      "recovery_target_lsn", "recovery_target_name", "recovery_target_time",
      "recovery_target_timeline", "recovery_target_xid", "restore_command",
      "shared_preload_libraries", "temp_tablespaces", "archive_command",
      "pg_failover_slots.primary_dsn", "pg_failover_slots.standby_slot_names", "ssl",
      "ssl_ca_file", "ssl_cert_file", "ssl_crl_file", "ssl_dh_params_file", "ssl_key_file",
      "ssl_passphrase_command", "ssl_passphrase_command_supports_reload",
      "ssl_prefer_server_ciphers", "synchronous_standby_names", "synchronized_standby_slots",
  };
  return *kFixed;
}

// Must keep PostgreSQL's default: the manager relies on them.
const std::set<std::string>& BlockedParameters() {
  static const auto* kBlocked = new std::set<std::string>{
      "allow_system_table_mods", "bonjour", "bonjour_name", "config_file", "data_directory",
      "data_sync_retry", "event_source", "external_pid_file", "hba_file", "hot_standby",
      "ident_file", "jit_provider", "listen_addresses", "logging_collector",
      "unix_socket_directories", "unix_socket_group", "unix_socket_permissions",
      "archive_cleanup_command", "log_destination", "log_directory", "log_file_mode",
      "log_filename", "log_rotation_age", "log_rotation_size", "log_truncate_on_rotation",
      "promote_trigger_file", "recovery_end_command", "recovery_min_apply_delay",
      "restart_after_crash", "stats_temp_directory", "syslog_facility", "syslog_ident",
      "syslog_sequence_numbers", "syslog_split_messages",
  };
  return *kBlocked;
}

bool ParsesAsBool(std::string v) {
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  static const std::set<std::string> kBools = {"on", "off", "true", "false", "yes", "no", "1", "0",
                                               "t", "f", "y", "n", "of"};
  return kBools.count(v) > 0;
}

bool IsFalse(std::string v) {
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  return v == "off" || v == "of" || v == "false" || v == "f" || v == "no" || v == "n" || v == "0";
}

std::string RenderConfFile(const std::string& header, const std::map<std::string, std::string>& params) {
  std::string out = header;
  for (const auto& [k, v] : params) out += k + " = " + QuoteConfValue(v) + "\n";
  return out;
}

// shared_preload_libraries: the user's list, then the libraries implied by
// parameter prefixes, without duplicates.
std::string PreloadLibraries(const ClusterView& cluster) {
  std::vector<std::string> libs = cluster.shared_preload_libraries;
  static const std::pair<const char*, const char*> kImplied[] = {
      {"pgaudit.", "pgaudit"},
      {"pg_stat_statements.", "pg_stat_statements"},
      {"auto_explain.", "auto_explain"},
      {"pg_failover_slots.", "pg_failover_slots"},
  };
  for (const auto& [prefix, lib] : kImplied) {
    bool used = std::any_of(cluster.parameters.begin(), cluster.parameters.end(),
                            [&](const auto& kv) { return kv.first.rfind(prefix, 0) == 0; });
    if (used) libs.push_back(lib);
  }
  std::string out;
  std::set<std::string> seen;
  for (const auto& l : libs) {
    if (!seen.insert(l).second) continue;
    if (!out.empty()) out += ",";
    out += l;
  }
  return out;
}

}  // namespace

std::string QuoteIdentifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string QuoteConfValue(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out += '\'';
    if (c == '\n' || c == '\r') continue;  // a value never spans lines
    out += c;
  }
  return out + "'";
}

std::string HaSlotName(const std::string& prefix, const std::string& pod) {
  std::string out = prefix;
  bool in_run = false;
  for (char raw : pod) {
    char c = static_cast<char>(std::tolower(static_cast<unsigned char>(raw)));
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (ok) {
      out += c;
      in_run = false;
    } else if (!in_run) {
      out += '_';
      in_run = true;
    }
  }
  return out;
}

std::string SynchronousStandbyNames(const ClusterView& cluster, const std::string& primary) {
  if (!cluster.synchronous) return "";
  const SynchronousSpec& sync = *cluster.synchronous;
  std::vector<std::string> names = cluster.instance_names;
  std::sort(names.begin(), names.end());
  std::set<std::string> healthy(cluster.healthy_instances.begin(), cluster.healthy_instances.end());
  std::vector<std::string> healthy_standbys, other_standbys;
  for (const auto& n : names) {
    if (n == primary) continue;
    (healthy.empty() || healthy.count(n) ? healthy_standbys : other_standbys).push_back(n);
  }
  std::vector<std::string> pods;
  int64_t number = sync.number;
  if (sync.data_durability == "preferred") {
    pods = healthy_standbys;
    if (pods.empty()) return "";
    number = std::min<int64_t>(number, static_cast<int64_t>(pods.size()));
  } else {
    pods = healthy_standbys;
    pods.insert(pods.end(), other_standbys.begin(), other_standbys.end());
    if (!primary.empty()) pods.push_back(primary);
  }
  if (sync.max_standby_names_from_cluster &&
      static_cast<int64_t>(pods.size()) > *sync.max_standby_names_from_cluster) {
    pods.resize(static_cast<size_t>(std::max<int64_t>(0, *sync.max_standby_names_from_cluster)));
  }
  std::vector<std::string> all = sync.standby_names_pre;
  all.insert(all.end(), pods.begin(), pods.end());
  all.insert(all.end(), sync.standby_names_post.begin(), sync.standby_names_post.end());
  if (all.empty()) all.push_back(cluster.name + "-placeholder");
  std::string method = sync.method == "first" ? "FIRST" : "ANY";
  std::string out = method + " " + std::to_string(number) + " (";
  for (size_t i = 0; i < all.size(); ++i) out += (i ? ", " : "") + QuoteIdentifier(all[i]);
  return out + ")";
}

std::string PrimaryConninfo(const ClusterView& cluster, const InstanceContext& ctx) {
  std::string host = ctx.primary_host.empty() ? cluster.name + "-rw" : ctx.primary_host;
  std::string out = "host=" + host + " user=streaming_replica port=" + std::to_string(ctx.primary_port);
  if (ctx.replication_auth == ReplicationAuth::kCertificate) {
    const std::string& d = ctx.certificates_dir;
    out += " sslkey=" + d + "/streaming_replica.key sslcert=" + d + "/streaming_replica.crt sslrootcert=" + d +
           "/server-ca.crt sslmode=verify-ca";
  } else {
    out += " sslmode=disable";
  }
  out += " application_name=" + ctx.pod_name + " dbname=postgres connect_timeout=5 tcp_user_timeout=" +
         std::to_string(ctx.tcp_user_timeout_ms);
  return out;
}

Status ValidateParameters(const ClusterView& cluster, const std::map<std::string, std::string>& computed) {
  static const std::regex kKey(R"(^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$)");
  for (const auto& [key, value] : cluster.parameters) {
    if (!std::regex_match(key, kKey)) {
      return InvalidArgumentError("invalid configuration parameter name \"" + key + "\"");
    }
    if (FixedParameters().count(key)) {
      auto it = computed.find(key);
      std::string mine = it == computed.end() ? "" : it->second;
      if (value != mine) {
        return InvalidArgumentError(std::string(kFixedParameterMessage) + " \"" + key +
                                    "\": the operator manages it");
      }
    }
    if (BlockedParameters().count(key)) {
      return InvalidArgumentError(std::string(kFixedParameterMessage) + " \"" + key +
                                  "\": it must keep its default value");
    }
  }
  auto get = [&](const std::string& k) -> std::string {
    auto it = cluster.parameters.find(k);
    return it == cluster.parameters.end() ? "" : it->second;
  };
  if (auto wl = get("wal_level"); !wl.empty()) {
    if (wl != "logical" && wl != "replica" && wl != "minimal") {
      return InvalidArgumentError("invalid value for parameter \"wal_level\": \"" + wl +
                                  "\" (use logical, replica or minimal)");
    }
    if (wl == "minimal" && cluster.instances > 1) {
      return InvalidArgumentError("wal_level \"minimal\" is not allowed with more than one instance");
    }
  }
  for (const char* b : {"hot_standby_feedback", "wal_log_hints", "sync_replication_slots"}) {
    if (auto v = get(b); !v.empty() && !ParsesAsBool(v)) {
      return InvalidArgumentError(std::string("invalid value for parameter \"") + b + "\": \"" + v +
                                  "\" (expected a boolean)");
    }
  }
  if (IsFalse(get("wal_log_hints")) && cluster.instances > 1) {
    return InvalidArgumentError("wal_log_hints cannot be off with more than one instance (pg_rewind needs it)");
  }
  return OkStatus();
}

StatusOr<RenderedConfig> RenderConfig(const ClusterView& cluster, const InstanceContext& ctx) {
  if (ctx.pod_name.empty()) return InvalidArgumentError("render config: the pod name is required");
  const bool tls = ctx.replication_auth == ReplicationAuth::kCertificate;

  // Values the operator forces, whatever the user wrote.
  std::map<std::string, std::string> forced = {
      {"archive_mode", ctx.archive_command.empty() ? "off" : "on"},
      {"cluster_name", cluster.name},
      {"port", std::to_string(ctx.port)},
      {"listen_addresses", ctx.listen_addresses},
      {"unix_socket_directories", ctx.socket_dir},
      {"hot_standby", "on"},
      {"restart_after_crash", "off"},
      {"shared_preload_libraries", PreloadLibraries(cluster)},
      {"synchronous_standby_names", ctx.primary ? SynchronousStandbyNames(cluster, ctx.pod_name) : ""},
      {"logging_collector", "on"},
      {"log_destination", "jsonlog"},
      {"log_directory", ctx.log_dir},
      {"log_filename", "postgres"},
      {"log_rotation_age", "0"},
      {"log_rotation_size", "0"},
      {"log_truncate_on_rotation", "off"},
      {"ssl", tls ? "on" : "off"},
  };
  if (!ctx.archive_command.empty()) forced["archive_command"] = ctx.archive_command;
  if (tls) {
    forced["ssl_cert_file"] = ctx.certificates_dir + "/server.crt";
    forced["ssl_key_file"] = ctx.certificates_dir + "/server.key";
    forced["ssl_ca_file"] = ctx.certificates_dir + "/client-ca.crt";
    forced["ssl_min_protocol_version"] = "TLSv1.3";
    forced["ssl_max_protocol_version"] = "TLSv1.3";
  }

  std::map<std::string, std::string> standby;
  if (!ctx.primary) {
    standby["primary_conninfo"] = PrimaryConninfo(cluster, ctx);
    standby["recovery_target_timeline"] = "latest";
    if (cluster.ha_slots) standby["primary_slot_name"] = HaSlotName(cluster.slot_prefix, ctx.pod_name);
    if (!ctx.restore_command.empty()) standby["restore_command"] = ctx.restore_command;
  }

  std::map<std::string, std::string> computed = forced;
  computed.insert(standby.begin(), standby.end());
  // A fixed key that is not rendered at all (e.g. restore_command on a
  // primary) is compared with the empty string.
  RETURN_IF_ERROR(ValidateParameters(cluster, computed));

  std::map<std::string, std::string> params = DefaultParameters();
  for (const auto& [k, v] : cluster.parameters) params[k] = v;
  for (const auto& [k, v] : forced) params[k] = v;

  RenderedConfig out;
  out.standby = !ctx.primary;
  out.custom_conf = RenderConfFile(
      "# Rendered by tusk-instance from Cluster " + cluster.name + "; edits are overwritten.\n", params);
  out.override_conf = RenderConfFile("# Standby settings rendered by tusk-instance.\n", standby);
  out.parameters = params;
  out.parameters.insert(standby.begin(), standby.end());

  // pg_hba.conf, in CloudNativePG's order: first match wins.
  std::string hba = "# Rendered by tusk-instance; edits are overwritten.\n";
  hba += "local all cnpg_metrics_exporter peer map=cnpg_metrics_exporter\n";
  hba += "local all all peer map=local\n";
  if (tls) {
    hba += "hostssl postgres streaming_replica all cert map=cnpg_streaming_replica\n";
    hba += "hostssl replication streaming_replica all cert map=cnpg_streaming_replica\n";
    hba += "hostssl all cnpg_pooler_pgbouncer all cert map=cnpg_pooler_pgbouncer\n";
  } else {
    hba += "host postgres streaming_replica 127.0.0.1/32 trust\n";
    hba += "host replication streaming_replica 127.0.0.1/32 trust\n";
  }
  for (const auto& line : cluster.pg_hba) hba += line + "\n";
  hba += "host all all all scram-sha-256\n";
  out.pg_hba = hba;

  std::string ident = "# Rendered by tusk-instance; edits are overwritten.\n";
  for (const auto& u : ctx.local_os_users) ident += "local " + u + " postgres\n";
  ident += "cnpg_streaming_replica streaming_replica streaming_replica\n";
  ident += "cnpg_pooler_pgbouncer cnpg_pooler_pgbouncer cnpg_pooler_pgbouncer\n";
  for (const auto& u : ctx.local_os_users) ident += "cnpg_metrics_exporter " + u + " cnpg_metrics_exporter\n";
  for (const auto& line : cluster.pg_ident) ident += line + "\n";
  out.pg_ident = ident;

  out.hash = Sha256Hex(out.custom_conf + '\0' + out.override_conf + '\0' + out.pg_hba + '\0' + out.pg_ident);
  out.spec_hash = SpecConfigHash(cluster);
  return out;
}

std::string SpecConfigHash(const ClusterView& cluster) {
  // Everything the Cluster's spec gives the renderer, and nothing an
  // instance or the status decides (paths, ports, role, upstream, the
  // instance list): nlohmann's objects keep their keys sorted, so dump() is
  // canonical; arrays keep their order because pg_hba's order matters.
  nlohmann::json sync = nullptr;
  if (cluster.synchronous) {
    const SynchronousSpec& s = *cluster.synchronous;
    sync = {{"method", s.method},
            {"number", s.number},
            {"maxStandbyNamesFromCluster",
             s.max_standby_names_from_cluster ? nlohmann::json(*s.max_standby_names_from_cluster) : nullptr},
            {"standbyNamesPre", s.standby_names_pre},
            {"standbyNamesPost", s.standby_names_post},
            {"dataDurability", s.data_durability}};
  }
  const nlohmann::json canonical = {
      {"version", 1},
      {"cluster", cluster.name},
      {"parameters", cluster.parameters},
      {"pg_hba", cluster.pg_hba},
      {"pg_ident", cluster.pg_ident},
      {"shared_preload_libraries", cluster.shared_preload_libraries},
      {"synchronous", sync},
      {"highAvailabilitySlots", {{"enabled", cluster.ha_slots}, {"slotPrefix", cluster.slot_prefix}}},
  };
  return Sha256Hex(canonical.dump());
}

}  // namespace tusk::pg
