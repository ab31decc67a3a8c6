// Flags shared by tusk-instance's commands: where PGDATA is, who this pod
// is, where the desired state comes from, which ports to serve. Every
// default is the in-pod one; tests override ports and paths.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "common/base/status.h"
#include "common/pg/config_render.h"

namespace tusk::instance {

struct HostPort {
  std::string host;
  int port = 5432;
};

struct Options {
  std::string pgdata = "/var/lib/postgresql/data/pgdata";
  std::string pod_name;
  std::string cluster_file;  // desired state: a Cluster object as JSON
  std::string bin_dir = "/usr/lib/postgresql/15/bin";
  int port = 5432;
  std::string listen_addresses = "*";
  std::string socket_dir = "/controller/run";
  std::string log_dir = "/controller/log";
  std::string certificates_dir = "/controller/certificates";
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

  // init
  std::string app_database = "app";
  std::string app_owner = "app";
  std::string app_password_file;
  std::string superuser_password_file;

  // The libpq connection string over the local socket, as superuser.
  std::string LocalConninfo() const;
  HostPort PeerAddress(const std::string& cluster, const std::string& pod) const;
  bool drop_privileges() const { return postgres_uid != 0; }
};

// Parses "--name=value" / "--name value" flags after the command name.
// Environment: PGDATA, POD_NAME, PGPORT fill the defaults.
StatusOr<Options> ParseOptions(const std::vector<std::string>& args);

extern const char kFlagsHelp[];

}  // namespace tusk::instance
