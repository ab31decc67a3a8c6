// The pure renderer of one instance's postgres configuration: custom.conf
// (operator defaults, the user's parameters, the forced values),
// override.conf (standby settings), pg_hba.conf and pg_ident.conf, all from
// a ClusterView plus where and how this instance runs. No I/O.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/base/status.h"
#include "common/pg/cluster_view.h"

namespace tusk::pg {

enum class ReplicationAuth {
  // Production: streaming_replica authenticates with a client certificate
  // over TLS (hostssl ... cert map=cnpg_streaming_replica).
  kCertificate,
  // Tests on one machine without certificates: streaming_replica is trusted
  // from 127.0.0.1 only, and TLS is off.
  kLoopbackTrust,
};

// Where and how this instance runs: everything the Cluster does not say.
struct InstanceContext {
  std::string pod_name;
  bool primary = false;  // render as primary (no standby settings)
  int port = 5432;
  std::string listen_addresses = "*";
  std::string socket_dir = "/controller/run";
  std::string log_dir = "/controller/log";
  std::string certificates_dir = "/controller/certificates";
  ReplicationAuth replication_auth = ReplicationAuth::kCertificate;

  // The upstream a standby streams from.
  std::string primary_host;
  int primary_port = 5432;
  int tcp_user_timeout_ms = 5000;

  // Archiving is plugged in by the backup engine (`tusk-instance wal-archive
  // %p`); empty archive_command renders archive_mode=off.
  std::string archive_command;
  std::string restore_command;

  // Operating-system users allowed to log in as postgres over the socket
  // (pg_ident map "local"): the container user, plus root in tests.
  std::vector<std::string> local_os_users = {"postgres"};
};

struct RenderedConfig {
  std::string custom_conf;    // parameters, include'd from postgresql.conf
  std::string override_conf;  // standby settings (empty on a primary)
  std::string pg_hba;
  std::string pg_ident;
  bool standby = false;       // standby.signal must exist
  // Every parameter that ends up in custom.conf + override.conf.
  std::map<std::string, std::string> parameters;
  // sha256 of the four files, hex: changes with anything rendered, this
  // instance's paths and role included (the manager's "rewrite needed").
  std::string hash;
  // SpecConfigHash(cluster): what the instance reports as config_hash.
  std::string spec_hash;
};

// The error a user sees for a parameter the operator owns.
constexpr char kFixedParameterMessage[] = "Can't set fixed configuration parameter";

// Checks the user's parameters (names, fixed/blocked ones, values with a
// known domain). Fixed keys pass only when equal to the computed value.
Status ValidateParameters(const ClusterView& cluster, const std::map<std::string, std::string>& computed);

// HA replication slot of a pod: prefix + name, lower-cased, runs of
// characters outside [a-z0-9_] turned into '_'.
std::string HaSlotName(const std::string& prefix, const std::string& pod);

// synchronous_standby_names for `primary` per spec.postgresql.synchronous;
// empty when replication is asynchronous.
std::string SynchronousStandbyNames(const ClusterView& cluster, const std::string& primary);

// The standby's libpq connection string to its upstream.
std::string PrimaryConninfo(const ClusterView& cluster, const InstanceContext& ctx);

// Quotes a name as SQL and synchronous_standby_names do: "a""b".
std::string QuoteIdentifier(const std::string& name);

// Quotes a value for postgresql.conf: 'it''s'.
std::string QuoteConfValue(const std::string& value);

StatusOr<RenderedConfig> RenderConfig(const ClusterView& cluster, const InstanceContext& ctx);

// sha256 (hex) of what the Cluster's spec decides about every instance's
// configuration (parameters, pg_hba, pg_ident, shared_preload_libraries,
// synchronous replication, HA slots), canonically serialized. Paths, ports,
// roles and the status do not enter, so the operator computes from the spec
// the same value each instance reports for the configuration in effect.
std::string SpecConfigHash(const ClusterView& cluster);

}  // namespace tusk::pg
