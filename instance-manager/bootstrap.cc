#include "instance-manager/bootstrap.h"

#include <filesystem>

#include "common/base/files.h"
#include "common/pg/connection.h"
#include "instance-manager/config_files.h"
#include "instance-manager/desired_state.h"

namespace tusk::instance {
namespace {

StatusOr<std::string> ReadSecretFile(const std::string& path) {
  if (path.empty()) return std::string();
  ASSIGN_OR_RETURN(std::string s, ReadFile(path));
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

Status RequireEmptyDir(const std::string& dir) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_empty(dir, ec)) {
    return AlreadyExistsError("data directory " + dir + " is not empty; refusing to overwrite it");
  }
  return MakeDirs(dir, 0700);
}

std::string SourceConninfo(const Options& options, const pg::ClusterView& cluster) {
  pg::InstanceContext ctx = MakeContext(options, cluster, /*primary=*/false);
  return pg::PrimaryConninfo(cluster, ctx);
}

Status WriteRendered(const Options& options, const pg::ClusterView& cluster, bool primary, PgTools& tools) {
  ASSIGN_OR_RETURN(auto rendered, pg::RenderConfig(cluster, MakeContext(options, cluster, primary)));
  RETURN_IF_ERROR(ResetAutoConf(tools));
  return WriteConfigFiles(rendered, tools);
}

}  // namespace

StatusOr<pg::ClusterView> LoadCluster(const Options& options) {
  if (options.cluster_file.empty()) {
    pg::ClusterView v;
    v.name = options.pod_name;
    v.instance_names = {options.pod_name};
    v.current_primary = options.pod_name;
    return v;
  }
  ASSIGN_OR_RETURN(auto source, FileDesiredState::Open(options.cluster_file));
  return source->Read();
}

std::string BootstrapSql(const Options& options, const std::string& superuser_password,
                         const std::string& app_password) {
  auto password = [](const std::string& p) { return p.empty() ? std::string("NULL") : pg::QuoteLiteral(p); };
  const std::string owner = "\"" + options.app_owner + "\"";
  std::string sql;
  sql += "ALTER ROLE postgres PASSWORD " + password(superuser_password) + ";\n\n";
  sql += "CREATE ROLE streaming_replica LOGIN REPLICATION;\n\n";
  // What pg_rewind needs from a non-superuser source role.
  sql += "GRANT EXECUTE ON FUNCTION pg_catalog.pg_ls_dir(text, boolean, boolean) TO streaming_replica;\n\n";
  sql += "GRANT EXECUTE ON FUNCTION pg_catalog.pg_stat_file(text, boolean) TO streaming_replica;\n\n";
  sql += "GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_binary_file(text) TO streaming_replica;\n\n";
  sql += "GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean) TO "
         "streaming_replica;\n\n";
  sql += "CREATE ROLE cnpg_metrics_exporter LOGIN PASSWORD NULL IN ROLE pg_monitor;\n\n";
  if (!options.app_owner.empty()) {
    sql += "CREATE ROLE " + owner + " LOGIN PASSWORD " + password(app_password) + ";\n\n";
  }
  if (!options.app_database.empty()) {
    sql += "CREATE DATABASE \"" + options.app_database + "\"" +
           (options.app_owner.empty() ? "" : " OWNER " + owner) + ";\n\n";
  }
  return sql;
}

Status RunInit(const Options& options, PgTools& tools, const log::Logger& logger) {
  ASSIGN_OR_RETURN(auto cluster, LoadCluster(options));
  ASSIGN_OR_RETURN(std::string su_password, ReadSecretFile(options.superuser_password_file));
  ASSIGN_OR_RETURN(std::string app_password, ReadSecretFile(options.app_password_file));
  RETURN_IF_ERROR(RequireEmptyDir(options.pgdata));
  RETURN_IF_ERROR(tools.ChownToPostgres(options.pgdata));
  logger.Info("initdb", {{"pgdata", options.pgdata}});
  RETURN_IF_ERROR(tools
                      .Run("initdb", {"-D", options.pgdata, "--username", "postgres", "--data-checksums",
                                      "--encoding=UTF8", "--lc-collate=C", "--lc-ctype=C", "--auth-local=peer",
                                      "--auth-host=scram-sha-256", "--no-instructions"},
                           std::chrono::minutes(5))
                      .status());
  // Roles and the application database, without opening a port: postgres
  // in single-user mode reads the statements from stdin.
  RETURN_IF_ERROR(tools
                      .Run("postgres", {"--single", "-j", "-D", options.pgdata, "postgres"},
                           std::chrono::minutes(2), BootstrapSql(options, su_password, app_password))
                      .status()
                      .WithContext("bootstrap roles and database"));
  RETURN_IF_ERROR(WriteRendered(options, cluster, /*primary=*/true, tools));
  logger.Info("primary initialised", {{"pgdata", options.pgdata}, {"cluster", cluster.name}});
  return OkStatus();
}

Status RunJoin(const Options& options, PgTools& tools, const log::Logger& logger) {
  ASSIGN_OR_RETURN(auto cluster, LoadCluster(options));
  if (cluster.current_primary.empty()) {
    return FailedPreconditionError("the Cluster status names no current primary to join");
  }
  if (cluster.current_primary == options.pod_name) {
    return FailedPreconditionError("this instance is the current primary; there is nothing to join");
  }
  RETURN_IF_ERROR(RequireEmptyDir(options.pgdata));
  RETURN_IF_ERROR(tools.ChownToPostgres(options.pgdata));
  std::string conninfo = SourceConninfo(options, cluster);
  logger.Info("pg_basebackup from the primary", {{"primary", cluster.current_primary}});
  RETURN_IF_ERROR(tools
                      .Run("pg_basebackup", {"-D", options.pgdata, "-X", "stream", "-c", "fast", "--no-password",
                                             "-d", conninfo},
                           std::chrono::hours(12))
                      .status());
  RETURN_IF_ERROR(WriteRendered(options, cluster, /*primary=*/false, tools));
  logger.Info("standby initialised", {{"pgdata", options.pgdata}, {"primary", cluster.current_primary}});
  return OkStatus();
}

Status RewindToStandby(const Options& options, const pg::ClusterView& cluster, PgTools& tools,
                       const log::Logger& logger) {
  std::string conninfo = SourceConninfo(options, cluster);
  logger.Info("pg_rewind against the current primary", {{"primary", cluster.current_primary}});
  ASSIGN_OR_RETURN(auto r, tools.Run("pg_rewind", {"-D", options.pgdata, "--source-server", conninfo},
                                     std::chrono::hours(1)));
  logger.Info("pg_rewind done", {{"output", r.stdout_data + r.stderr_data}});
  return WriteRendered(options, cluster, /*primary=*/false, tools);
}

}  // namespace tusk::instance
