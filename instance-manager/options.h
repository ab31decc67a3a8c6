// Flags shared by tusk-instance's commands: where PGDATA is, who this pod
// is, where the desired state comes from, which ports to serve. Every
// default is the in-pod one; tests override ports and paths.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "common/base/cli.h"
#include "common/base/status.h"
#include "common/pg/config_render.h"
#include "operator/specs/specs.h"

namespace tusk::instance {

using ::tusk::HostPort;

struct Options {
  std::string pgdata = op::specs::kPgData;
  std::string pod_name;
  // Desired state: a Cluster object as JSON in a file, or the Cluster
  // `cluster_name` in `namespace_` on the API server (see api_server).
  std::string cluster_file;
  std::string cluster_name;
  std::string namespace_;
  std::string kubeconfig;  // empty in a pod: the ServiceAccount's in-cluster config
  // True when the Cluster comes from the API server: no --cluster-file, and
  // --kubeconfig given or KUBERNETES_SERVICE_HOST set (as in every pod).
  bool api_server = false;
  std::string bin_dir = "/usr/lib/postgresql/15/bin";
  int port = 5432;
  std::string listen_addresses = "*";
  std::string socket_dir = "/controller/run";
  std::string log_dir = "/controller/log";
  std::string certificates_dir = "/controller/certificates";
  // The certificate secrets as mounted (read-only, group-readable), copied
  // into certificates_dir for postgres; empty: certificates_dir is ready.
  std::string certificates_source = op::specs::kCertificatesSource;
  // WAL outside PGDATA (walStorage): init and join put pg_wal there.
  std::string pg_wal;
  pg::ReplicationAuth replication_auth = pg::ReplicationAuth::kCertificate;
  std::string archive_command;
  std::string restore_command;
  std::string grpc_address = "0.0.0.0:9090";
  std::string http_address = "0.0.0.0:8000";
  std::string log_level;
  std::string log_format;

  // The OS user postgres runs as (when the manager runs as root).
  std::string postgres_user;
  uid_t postgres_uid = 0;
  gid_t postgres_gid = 0;

  // How to reach other instances; unknown ones go through <cluster>-rw:5432.
  std::map<std::string, HostPort> peers;

  // init: the application owner's password, and postgres's when the
  // Cluster enables superuser access. With the API server they default to
  // the mounted secrets (/etc/tusk/app/password, /etc/tusk/superuser/password).
  std::string app_password_file;
  std::string superuser_password_file;

  // The libpq connection string over the local socket, as superuser.
  std::string LocalConninfo() const;
  HostPort PeerAddress(const std::string& cluster, const std::string& pod) const;
  bool drop_privileges() const { return postgres_uid != 0; }
};

// Parses "--name=value" / "--name value" flags after the command name.
// Environment (what the operator's pods set): PGDATA, POD_NAME, PGPORT,
// CLUSTER_NAME, NAMESPACE fill the defaults; KUBERNETES_SERVICE_HOST means
// "in a pod".
StatusOr<Options> ParseOptions(const std::vector<std::string>& args);

extern const char kFlagsHelp[];

}  // namespace tusk::instance
