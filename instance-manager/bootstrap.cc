#include "instance-manager/bootstrap.h"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "common/base/files.h"
#include "common/pg/connection.h"
#include "instance-manager/certificates.h"
#include "instance-manager/config_files.h"
#include "instance-manager/desired_state.h"

namespace tusk::instance {
namespace {

// The API server's first answer, when init or join read the Cluster from it.
constexpr auto kApiServerWait = std::chrono::seconds(60);

StatusOr<std::string> ReadSecretFile(const std::string& path) {
  if (path.empty()) return std::string();
  ASSIGN_OR_RETURN(std::string s, ReadFile(path));
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// Single-user mode (-j) ends a statement at a semicolon followed by an
// empty line.
void AddStatement(std::string* sql, std::string statement) {
  while (!statement.empty() && (statement.back() == '\n' || statement.back() == ' ')) statement.pop_back();
  if (statement.empty()) return;
  if (statement.back() != ';') statement += ';';
  *sql += statement + "\n\n";
}

// Why a data directory at PGDATA is always complete: init and join build it
// in StagingDir(PGDATA), beside it on the same filesystem, and rename it
// into place as their last step, after initdb / pg_basebackup and our own
// writes have been fsynced. rename(2) is atomic, so PGDATA either does not
// exist (or is the empty directory someone prepared) or is complete: its
// presence is the completion marker, and nothing inside it has to be
// trusted or cleared. A crash leaves only the staging directory, which is
// ours by name and removed before the next attempt. A marker file inside
// PGDATA would not do: pg_basebackup copies the primary's to the standby
// before the standby is configured. A PGDATA with files but no PG_VERSION
// was not made here and is never deleted.
enum class DataDir { kMissing, kComplete };

StatusOr<DataDir> InspectDataDir(const std::string& pgdata) {
  std::error_code ec;
  if (!std::filesystem::exists(pgdata, ec) || std::filesystem::is_empty(pgdata, ec)) return DataDir::kMissing;
  if (PathExists(pgdata + "/PG_VERSION")) return DataDir::kComplete;
  return FailedPreconditionError("data directory " + pgdata +
                                 " holds files but no PG_VERSION: it was not made by tusk-instance; move it away");
}

// PostgreSQL's programs aimed at the staging directory: `options().pgdata`
// (where WriteConfigFiles writes) is the stage, and every program run here
// names it with -D.
class StagedTools final : public PgTools {
 public:
  StagedTools(const Options& staged, PgTools& tools) : PgTools(staged), tools_(tools) {}
  StatusOr<SubprocessResult> Run(const std::string& program, const std::vector<std::string>& args, Duration timeout,
                                 const std::string& stdin_data = "") override {
    return tools_.Run(program, args, timeout, stdin_data);
  }
  Status ChownToPostgres(const std::string& path) override { return tools_.ChownToPostgres(path); }

 private:
  PgTools& tools_;
};

// A fresh, empty staging directory owned by postgres, and the tools that
// work in it.
class Stage {
 public:
  static StatusOr<std::unique_ptr<Stage>> Begin(const Options& options, PgTools& tools, const log::Logger& logger) {
    const std::string path = StagingDir(options.pgdata);
    if (PathExists(path)) {
      logger.Warn("clearing the data directory an interrupted bootstrap left", {{"path", path}});
      RETURN_IF_ERROR(RemoveAll(path));
    }
    RETURN_IF_ERROR(MakeDirs(path, 0700));
    RETURN_IF_ERROR(tools.ChownToPostgres(path));
    if (!options.pg_wal.empty()) {
      // PGDATA is not complete, so whatever WAL its volume holds belongs to
      // an attempt that did not finish.
      if (PathExists(options.pg_wal)) RETURN_IF_ERROR(RemoveAll(options.pg_wal));
      RETURN_IF_ERROR(MakeDirs(options.pg_wal, 0700));
      RETURN_IF_ERROR(tools.ChownToPostgres(options.pg_wal));
    }
    return std::unique_ptr<Stage>(new Stage(options, path, tools));
  }

  const std::string& path() const { return options_.pgdata; }
  const Options& options() const { return options_; }
  PgTools& tools() { return tools_; }

  // Renames the staging directory to PGDATA (replacing an empty directory
  // there too, as rename(2) allows) and makes the rename durable.
  Status Publish(const std::string& pgdata) {
    if (std::rename(path().c_str(), pgdata.c_str()) != 0) {
      return ErrnoError("rename " + path() + " to " + pgdata, errno);
    }
    return FsyncDir(std::filesystem::path(path()).parent_path().string());
  }

 private:
  Stage(const Options& options, const std::string& path, PgTools& tools) : options_(options), tools_(options_, tools) {
    options_.pgdata = path;
  }
  Options options_;
  StagedTools tools_;  // holds options_ by reference: Stage is never moved
};

// What init and join do first on every pod start: install the
// certificates, then stop at a complete PGDATA (nullopt) or read the Cluster.
struct Bootstrap {
  api::Cluster cluster;
  pg::ClusterView view;
};

StatusOr<std::optional<Bootstrap>> Prepare(const Options& options, PgTools& tools, Clock& clock,
                                           const log::Logger& logger, const char* nothing_to) {
  RETURN_IF_ERROR(InstallCertificates(options, tools));
  ASSIGN_OR_RETURN(DataDir state, InspectDataDir(options.pgdata));
  if (state == DataDir::kComplete) {
    logger.Info(std::string("PGDATA already holds a complete data directory: nothing to ") + nothing_to,
                {{"pgdata", options.pgdata}});
    return std::optional<Bootstrap>();
  }
  ASSIGN_OR_RETURN(api::Cluster cluster, LoadCluster(options, clock));
  ASSIGN_OR_RETURN(pg::ClusterView view, pg::MakeClusterView(cluster));
  return std::optional<Bootstrap>(Bootstrap{std::move(cluster), std::move(view)});
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

struct Passwords {
  std::string superuser, app;
};

StatusOr<Passwords> ReadPasswords(const Options& options, const api::ClusterSpec& spec) {
  Passwords p;
  auto app = ReadSecretFile(options.app_password_file);
  if (!app.ok()) return app.status().WithContext("the application owner's password (--app-password-file)");
  p.app = *app;
  if (spec.enable_superuser_access.value_or(false)) {
    if (options.superuser_password_file.empty()) {
      return InvalidArgumentError("enableSuperuserAccess needs postgres's password: pass --superuser-password-file");
    }
    auto superuser = ReadSecretFile(options.superuser_password_file);
    if (!superuser.ok()) return superuser.status().WithContext("postgres's password (--superuser-password-file)");
    p.superuser = *superuser;
  }
  return p;
}

}  // namespace

std::string StagingDir(const std::string& pgdata) {
  std::filesystem::path p = std::filesystem::path(pgdata).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();  // "/data/pgdata/" names the same directory
  return p.string() + ".tusk-bootstrap";
}

StatusOr<api::Cluster> LoadCluster(const Options& options, Clock& clock) {
  ASSIGN_OR_RETURN(auto source, OpenDesiredState(options, clock));
  RETURN_IF_ERROR(source->WaitReady(kApiServerWait));
  return source->ReadCluster();
}

std::vector<std::string> InitdbArgs(const api::ClusterSpec& s, const std::string& pgdata) {
  std::vector<std::string> args = {"-D", pgdata, "--username", "postgres", "--auth-local=peer",
                                   "--auth-host=scram-sha-256", "--no-instructions"};
  if (s.initdb_options) {
    // Deprecated in CloudNativePG, and when given the explicit fields are ignored.
    args.insert(args.end(), s.initdb_options->begin(), s.initdb_options->end());
    return args;
  }
  auto flag = [&](const char* name, const std::optional<std::string>& value) {
    if (value && !value->empty()) args.push_back(std::string(name) + "=" + *value);
  };
  flag("--encoding", s.initdb_encoding);
  flag("--locale", s.initdb_locale);  // first: the categories below override it
  flag("--lc-collate", s.initdb_locale_collate);
  flag("--lc-ctype", s.initdb_locale_ctype);
  flag("--locale-provider", s.initdb_locale_provider);
  flag("--icu-locale", s.initdb_icu_locale);
  flag("--icu-rules", s.initdb_icu_rules);
  flag("--builtin-locale", s.initdb_builtin_locale);
  if (s.initdb_data_checksums.value_or(false)) args.push_back("--data-checksums");
  if (s.initdb_wal_segment_size) args.push_back("--wal-segsize=" + std::to_string(*s.initdb_wal_segment_size));
  return args;
}

std::vector<SqlStep> BootstrapSteps(const api::ClusterSpec& s, const std::string& superuser_password,
                                    const std::string& app_password) {
  auto password = [](const std::string& p) { return p.empty() ? std::string("NULL") : pg::QuoteLiteral(p); };
  const std::string database = s.initdb_database.value_or("");
  const std::string owner = s.initdb_owner.value_or("");
  const bool superuser_access = s.enable_superuser_access.value_or(false);
  std::string sql;
  AddStatement(&sql, "ALTER ROLE postgres PASSWORD " + password(superuser_access ? superuser_password : ""));
  AddStatement(&sql, "CREATE ROLE streaming_replica LOGIN REPLICATION");
  // What pg_rewind needs from a non-superuser source role.
  AddStatement(&sql, "GRANT EXECUTE ON FUNCTION pg_catalog.pg_ls_dir(text, boolean, boolean) TO streaming_replica");
  AddStatement(&sql, "GRANT EXECUTE ON FUNCTION pg_catalog.pg_stat_file(text, boolean) TO streaming_replica");
  AddStatement(&sql, "GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_binary_file(text) TO streaming_replica");
  AddStatement(&sql, "GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean) TO "
                     "streaming_replica");
  AddStatement(&sql, "CREATE ROLE cnpg_metrics_exporter LOGIN PASSWORD NULL IN ROLE pg_monitor");
  if (!owner.empty()) AddStatement(&sql, "CREATE ROLE " + pg::QuoteIdentifier(owner) + " LOGIN PASSWORD " + password(app_password));
  for (const auto& statement : s.post_init_sql.value_or(std::vector<std::string>{})) AddStatement(&sql, statement);

  std::vector<SqlStep> steps;
  std::string template_sql;
  for (const auto& statement : s.post_init_template_sql.value_or(std::vector<std::string>{})) {
    AddStatement(&template_sql, statement);
  }
  // The application database is copied from template1, so it comes after
  // what the template SQL put there.
  std::string create_database;
  if (!database.empty()) {
    AddStatement(&create_database,
                 "CREATE DATABASE " + pg::QuoteIdentifier(database) + (owner.empty() ? "" : " OWNER " + pg::QuoteIdentifier(owner)));
  }
  if (template_sql.empty()) {
    steps.push_back({"postgres", sql + create_database});
  } else {
    steps.push_back({"postgres", sql});
    steps.push_back({"template1", template_sql});
    if (!create_database.empty()) steps.push_back({"postgres", create_database});
  }
  std::string application_sql;
  for (const auto& statement : s.post_init_application_sql.value_or(std::vector<std::string>{})) {
    AddStatement(&application_sql, statement);
  }
  if (!database.empty() && !application_sql.empty()) steps.push_back({database, application_sql});
  return steps;
}

Status RunInit(const Options& options, PgTools& tools, Clock& clock, const log::Logger& logger) {
  ASSIGN_OR_RETURN(std::optional<Bootstrap> b, Prepare(options, tools, clock, logger, "initialise"));
  if (!b) return OkStatus();
  if (!b->cluster.spec.has_initdb.value_or(false)) {
    return FailedPreconditionError("the Cluster bootstraps from a backup or another cluster, not with initdb");
  }
  ASSIGN_OR_RETURN(Passwords passwords, ReadPasswords(options, b->cluster.spec));
  ASSIGN_OR_RETURN(std::unique_ptr<Stage> stage, Stage::Begin(options, tools, logger));
  logger.Info("initdb", {{"pgdata", options.pgdata}});
  std::vector<std::string> initdb = InitdbArgs(b->cluster.spec, stage->path());
  if (!options.pg_wal.empty()) initdb.push_back("--waldir=" + options.pg_wal);
  RETURN_IF_ERROR(stage->tools().Run("initdb", initdb, std::chrono::minutes(5)).status());
  // Roles, databases and the post-init SQL without opening a port: postgres
  // in single-user mode reads them from stdin; exit_on_error makes a failed
  // statement fail the run instead of being printed and skipped.
  for (const SqlStep& step : BootstrapSteps(b->cluster.spec, passwords.superuser, passwords.app)) {
    RETURN_IF_ERROR(stage->tools()
                        .Run("postgres",
                             {"--single", "-j", "-c", "exit_on_error=on", "-D", stage->path(), step.database},
                             std::chrono::minutes(10), step.sql)
                        .status()
                        .WithContext("bootstrap SQL in database " + step.database));
  }
  RETURN_IF_ERROR(WriteRendered(stage->options(), b->view, /*primary=*/true, stage->tools()));
  RETURN_IF_ERROR(stage->Publish(options.pgdata));
  logger.Info("primary initialised", {{"pgdata", options.pgdata}, {"cluster", b->view.name}});
  return OkStatus();
}

Status RunJoin(const Options& options, PgTools& tools, Clock& clock, const log::Logger& logger) {
  ASSIGN_OR_RETURN(std::optional<Bootstrap> b, Prepare(options, tools, clock, logger, "join"));
  if (!b) return OkStatus();
  const std::string& primary = b->view.current_primary;
  if (primary.empty()) return FailedPreconditionError("the Cluster status names no current primary to join");
  if (primary == options.pod_name) {
    return FailedPreconditionError("this instance is the current primary; there is nothing to join");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Stage> stage, Stage::Begin(options, tools, logger));
  logger.Info("pg_basebackup from the primary", {{"primary", primary}});
  std::vector<std::string> basebackup = {"-D", stage->path(), "-X", "stream", "-c", "fast", "--no-password",
                                         "-d", SourceConninfo(options, b->view)};
  if (!options.pg_wal.empty()) basebackup.push_back("--waldir=" + options.pg_wal);
  RETURN_IF_ERROR(stage->tools().Run("pg_basebackup", basebackup, std::chrono::hours(12)).status());
  RETURN_IF_ERROR(WriteRendered(stage->options(), b->view, /*primary=*/false, stage->tools()));
  RETURN_IF_ERROR(stage->Publish(options.pgdata));
  logger.Info("standby initialised", {{"pgdata", options.pgdata}, {"primary", primary}});
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
