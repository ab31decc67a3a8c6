#include "instance-manager/options.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

namespace tusk::instance {

const char kFlagsHelp[] = R"(Flags (defaults are the in-pod ones):
  --pgdata DIR              data directory ($PGDATA)
  --pod-name NAME           this instance ($POD_NAME)
  --cluster-file FILE       desired state: the Cluster object as JSON, re-read on change;
                            without it the Cluster is watched on the API server
  --cluster-name NAME       the Cluster to watch ($CLUSTER_NAME)
  --namespace NS            its namespace ($NAMESPACE)
  --kubeconfig FILE         API server access (default: the pod's ServiceAccount)
  --bin-dir DIR             PostgreSQL binaries (/usr/lib/postgresql/15/bin)
  --port N                  postgres port ($PGPORT, 5432)
  --listen-addresses A      postgres listen_addresses (*)
  --socket-dir DIR          unix socket directory (/controller/run)
  --log-dir DIR             where postgres's log pipes live (/controller/log)
  --certificates-dir DIR    TLS material postgres reads (/controller/certificates)
  --certificates-source DIR the mounted certificate secrets, copied into the above
                            with mode 0600 (/etc/tusk/certificates; "" = no copy)
  --pg-wal DIR              init, join: the WAL directory on its own volume (walStorage)
  --replication-auth M      cert (default) or loopback-trust (tests only)
  --archive-command CMD     archive_command; empty leaves archive_mode off
  --restore-command CMD     restore_command for standbys
  --grpc-address A:P        gRPC status service (0.0.0.0:9090)
  --http-address A:P        debug HTTP (0.0.0.0:8000)
  --postgres-user USER      OS user for postgres when running as root (postgres)
  --peer NAME=HOST:PORT     address of another instance (repeatable)
  --app-password-file FILE  init: the application owner's password (in a pod:
                            /etc/tusk/app/password)
  --superuser-password-file FILE  init, with enableSuperuserAccess: postgres's password
                            (in a pod: /etc/tusk/superuser/password)
  --log-level, --log-format
)";

std::string Options::LocalConninfo() const {
  return "host=" + socket_dir + " port=" + std::to_string(port) +
         " user=postgres dbname=postgres application_name=tusk-instance connect_timeout=5";
}

HostPort Options::PeerAddress(const std::string& cluster, const std::string& pod) const {
  auto it = peers.find(pod);
  if (it != peers.end()) return it->second;
  return HostPort{cluster + "-rw", 5432};
}

StatusOr<Options> ParseOptions(const std::vector<std::string>& args) {
  Options o;
  if (const char* e = std::getenv("PGDATA")) o.pgdata = e;
  if (const char* e = std::getenv("POD_NAME")) o.pod_name = e;
  if (const char* e = std::getenv("PGPORT")) {
    ASSIGN_OR_RETURN(o.port, ParseIntFlag("PGPORT", e));
  }
  if (const char* e = std::getenv("CLUSTER_NAME")) o.cluster_name = e;
  if (const char* e = std::getenv("NAMESPACE")) o.namespace_ = e;
  std::map<std::string, std::string*> strings = {
      {"pgdata", &o.pgdata},
      {"pod-name", &o.pod_name},
      {"cluster-file", &o.cluster_file},
      {"cluster-name", &o.cluster_name},
      {"namespace", &o.namespace_},
      {"kubeconfig", &o.kubeconfig},
      {"certificates-source", &o.certificates_source},
      {"pg-wal", &o.pg_wal},
      {"bin-dir", &o.bin_dir},
      {"listen-addresses", &o.listen_addresses},
      {"socket-dir", &o.socket_dir},
      {"log-dir", &o.log_dir},
      {"certificates-dir", &o.certificates_dir},
      {"archive-command", &o.archive_command},
      {"restore-command", &o.restore_command},
      {"grpc-address", &o.grpc_address},
      {"http-address", &o.http_address},
      {"log-level", &o.log_level},
      {"log-format", &o.log_format},
      {"postgres-user", &o.postgres_user},
      {"app-password-file", &o.app_password_file},
      {"superuser-password-file", &o.superuser_password_file},
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0) return InvalidArgumentError("unexpected argument \"" + a + "\"");
    std::string name = a.substr(2), value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else {
      if (i + 1 >= args.size()) return InvalidArgumentError("--" + name + " needs a value");
      value = args[++i];
    }
    if (auto it = strings.find(name); it != strings.end()) {
      *it->second = value;
    } else if (name == "port") {
      ASSIGN_OR_RETURN(o.port, ParseIntFlag(name, value));
    } else if (name == "replication-auth") {
      if (value == "cert") {
        o.replication_auth = pg::ReplicationAuth::kCertificate;
      } else if (value == "loopback-trust") {
        o.replication_auth = pg::ReplicationAuth::kLoopbackTrust;
      } else {
        return InvalidArgumentError("--replication-auth: expected cert or loopback-trust");
      }
    } else if (name == "peer") {
      auto eq = value.find('=');
      if (eq == std::string::npos) return InvalidArgumentError("--peer: expected NAME=HOST:PORT");
      ASSIGN_OR_RETURN(o.peers[value.substr(0, eq)], ParseHostPortFlag(name, value.substr(eq + 1)));
    } else {
      return InvalidArgumentError("unknown flag --" + name + " (see --help)");
    }
  }
  const char* service_host = std::getenv("KUBERNETES_SERVICE_HOST");
  o.api_server = o.cluster_file.empty() && (!o.kubeconfig.empty() || (service_host && *service_host));
  if (o.api_server) {
    if (o.app_password_file.empty()) o.app_password_file = std::string(op::specs::kAppSecretMount) + "/password";
    if (o.superuser_password_file.empty()) {
      o.superuser_password_file = std::string(op::specs::kSuperuserSecretMount) + "/password";
    }
  }
  if (::geteuid() == 0) {
    if (o.postgres_user.empty()) o.postgres_user = "postgres";
    struct passwd* pw = ::getpwnam(o.postgres_user.c_str());
    if (!pw) return NotFoundError("--postgres-user: no such user \"" + o.postgres_user + "\"");
    o.postgres_uid = pw->pw_uid;
    o.postgres_gid = pw->pw_gid;
  }
  return o;
}

}  // namespace tusk::instance
