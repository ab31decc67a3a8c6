#include "test/integration/backup/fixtures.h"

#include <dirent.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <thread>

namespace tusk::backup::testing {
namespace {

constexpr char kPgBin[] = "/usr/lib/postgresql/15/bin/";

struct PgUser {
  uid_t uid;
  gid_t gid;
};

PgUser Postgres() {
  passwd* pw = getpwnam("postgres");
  return pw ? PgUser{pw->pw_uid, pw->pw_gid} : PgUser{0, 0};
}

std::string S3ServerDir() {
  if (const char* d = std::getenv("TUSK_S3_SERVER_DIR")) return d;
  return std::string(TUSK_SOURCE_DIR) + "/.deps/s3-server";
}

Status ChownTree(const std::string& path, uid_t uid, gid_t gid) {
  if (::lchown(path.c_str(), uid, gid) != 0) return ErrnoError("chown " + path, errno);
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return OkStatus();
  DIR* d = opendir(path.c_str());
  if (d == nullptr) return ErrnoError("opendir " + path, errno);
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    Status s = ChownTree(path + "/" + n, uid, gid);
    if (!s.ok()) {
      closedir(d);
      return s;
    }
  }
  closedir(d);
  return OkStatus();
}

}  // namespace

int FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

Status ChownToPostgres(const std::string& path) {
  PgUser pg = Postgres();
  if (pg.uid == 0) return FailedPreconditionError("there is no 'postgres' user");
  // Parents must be traversable.
  for (std::string p = path.substr(0, path.rfind('/')); p.size() > 1; p = p.substr(0, p.rfind('/'))) {
    struct stat st;
    if (::stat(p.c_str(), &st) == 0 && st.st_uid != pg.uid && (st.st_mode & 0001) == 0) {
      ::chmod(p.c_str(), st.st_mode | 0711);
    }
    if (p.rfind('/') == 0) break;
  }
  return ChownTree(path, pg.uid, pg.gid);
}

StatusOr<std::unique_ptr<S3Server>> S3Server::Start(const std::string& data_dir, const std::vector<std::string>& buckets) {
  const std::string modules = S3ServerDir() + "/node_modules";
  if (!PathExists(modules + "/@20minutes/s3rver/package.json")) {
    return FailedPreconditionError("the S3 test server is not installed in " + S3ServerDir() + ": run `make deps`");
  }
  RETURN_IF_ERROR(MakeDirs(data_dir));
  const std::string port_file = data_dir + ".port";
  ::unlink(port_file.c_str());
  SubprocessOptions o;
  // The server encrypts continuation tokens with DES, which OpenSSL 3 keeps
  // in its legacy provider.
  o.argv = {"node", "--openssl-legacy-provider", std::string(TUSK_SOURCE_DIR) + "/test/integration/backup/s3_server.js", data_dir, port_file};
  for (const auto& b : buckets) o.argv.push_back(b);
  o.env = {"NODE_PATH=" + modules};
  o.stdout_mode = OutputMode::kDiscard;
  o.stderr_mode = OutputMode::kDiscard;
  auto server = std::unique_ptr<S3Server>(new S3Server);
  ASSIGN_OR_RETURN(server->proc_, Subprocess::Start(o));
  bool up = Eventually([&] { return PathExists(port_file); }, std::chrono::seconds(30));
  if (!up) return UnavailableError("the S3 test server did not start within 30 s");
  ASSIGN_OR_RETURN(std::string port, ReadFile(port_file));
  server->port_ = std::atoi(port.c_str());
  return server;
}

TmpfsDir::TmpfsDir() {
  char tmpl[] = "/dev/shm/tusk-bench-s3-XXXXXX";
  if (::mkdtemp(tmpl) != nullptr) path_ = tmpl;
}

TmpfsDir::~TmpfsDir() {
  if (!path_.empty()) RemoveAll(path_).IgnoreError();
}

S3Server::~S3Server() {
  if (proc_ && !proc_->reaped()) {
    proc_->Signal(SIGTERM).IgnoreError();
    Eventually([&] { auto r = proc_->Poll(); return !r.ok() || r->has_value(); }, std::chrono::seconds(5));
  }
}

StatusOr<std::unique_ptr<PgServer>> PgServer::Init(const std::string& pgdata, const std::vector<std::string>& conf) {
  RETURN_IF_ERROR(MakeDirs(pgdata, 0700));
  RETURN_IF_ERROR(ChownToPostgres(pgdata));
  PgUser pg = Postgres();
  SubprocessOptions o;
  o.argv = {std::string(kPgBin) + "initdb", "-D", pgdata, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8",
            "--locale=C"};
  o.uid = pg.uid;
  o.gid = pg.gid;
  ASSIGN_OR_RETURN(auto r, RunSubprocess(o, std::chrono::seconds(120)));
  if (!r.exit.success()) return InternalError("initdb failed: " + r.stderr_data);
  std::string auto_conf;
  for (const auto& line : conf) auto_conf += line + "\n";
  RETURN_IF_ERROR(WriteFile(pgdata + "/postgresql.auto.conf", auto_conf, 0600));
  RETURN_IF_ERROR(ChownToPostgres(pgdata + "/postgresql.auto.conf"));
  return Adopt(pgdata);
}

std::unique_ptr<PgServer> PgServer::Adopt(const std::string& pgdata) {
  auto s = std::unique_ptr<PgServer>(new PgServer);
  s->pgdata_ = pgdata;
  s->port_ = FreeLoopbackPort();
  return s;
}

PgServer::~PgServer() {
  if (proc_ && !proc_->reaped()) Stop().IgnoreError();
}

Status PgServer::Start() {
  PgUser pg = Postgres();
  SubprocessOptions o;
  o.argv = {std::string(kPgBin) + "postgres", "-D", pgdata_, "-p", std::to_string(port_),
            "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + pgdata_,
            "-c", "logging_collector=on", "-c", "log_directory=log", "-c", "log_filename=postgresql.log",
            "-c", "fsync=off", "-c", "shared_buffers=64MB"};
  o.uid = pg.uid;
  o.gid = pg.gid;
  o.working_dir = pgdata_;
  o.stdout_mode = OutputMode::kDiscard;
  o.stderr_mode = OutputMode::kDiscard;
  ASSIGN_OR_RETURN(proc_, Subprocess::Start(o));
  bool up = Eventually(
      [&] {
        if (!Running()) return true;
        PGconn* c = PQconnectdb(conninfo().c_str());
        bool ok = PQstatus(c) == CONNECTION_OK;
        PQfinish(c);
        return ok;
      },
      std::chrono::seconds(120));
  if (!Running()) return InternalError("postgres exited during startup:\n" + LogTail());
  if (!up) return DeadlineExceededError("postgres did not accept connections:\n" + LogTail());
  return OkStatus();
}

bool PgServer::Running() {
  if (!proc_) return false;
  auto r = proc_->Poll();
  return r.ok() && !r->has_value();
}

Status PgServer::Stop() {
  if (!proc_ || proc_->reaped()) return OkStatus();
  proc_->Signal(SIGINT).IgnoreError();
  if (!Eventually([&] { return !Running(); }, std::chrono::seconds(60))) {
    proc_->Signal(SIGKILL).IgnoreError();
    Eventually([&] { return !Running(); }, std::chrono::seconds(10));
    return DeadlineExceededError("postgres did not stop in 60 s");
  }
  return OkStatus();
}

Status PgServer::WaitPromoted(std::chrono::seconds timeout) {
  bool done = Eventually(
      [&] {
        if (!Running()) return true;
        auto r = Query("SELECT pg_is_in_recovery()");
        return r.ok() && *r == "f";
      },
      timeout);
  if (!Running()) return InternalError("postgres stopped during recovery:\n" + LogTail());
  if (!done) return DeadlineExceededError("recovery did not finish:\n" + LogTail());
  return OkStatus();
}

std::string PgServer::conninfo(const std::string& db) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=" + db + " connect_timeout=5";
}

StatusOr<std::string> PgServer::Query(const std::string& sql, const std::string& db) const {
  PGconn* c = PQconnectdb(conninfo(db).c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::string err = PQerrorMessage(c);
    PQfinish(c);
    return UnavailableError("connect: " + err);
  }
  PGresult* r = PQexec(c, sql.c_str());
  auto st = PQresultStatus(r);
  std::string out;
  Status s;
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    s = InternalError(sql + ": " + PQresultErrorMessage(r));
  } else if (st == PGRES_TUPLES_OK && PQntuples(r) > 0) {
    out = PQgetvalue(r, 0, 0);
  }
  PQclear(r);
  PQfinish(c);
  if (!s.ok()) return s;
  return out;
}

Status PgServer::Exec(const std::string& sql, const std::string& db) const { return Query(sql, db).status(); }

std::string PgServer::LogTail() const {
  auto log = ReadFile(pgdata_ + "/log/postgresql.log");
  if (!log.ok()) return "(no log)";
  return log->size() > 4000 ? log->substr(log->size() - 4000) : *log;
}

StatusOr<SubprocessResult> RunAsPostgres(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                         std::chrono::seconds timeout) {
  PgUser pg = Postgres();
  SubprocessOptions o;
  o.argv = argv;
  o.env = env;
  o.uid = pg.uid;
  o.gid = pg.gid;
  o.working_dir = "/tmp";
  return RunSubprocess(o, timeout);
}

namespace {
bool PostgresCanExecute(const std::string& path) {
  auto r = RunAsPostgres({"/usr/bin/test", "-x", path}, {}, std::chrono::seconds(30));
  return r.ok() && r->exit.success();
}
}  // namespace

StatusOr<std::string> PostgresExecutable(const std::string& binary, const std::string& dir) {
  if (Postgres().uid == 0) return FailedPreconditionError("there is no 'postgres' user: run `make deps`");
  if (PostgresCanExecute(binary)) return binary;
  const size_t slash = binary.rfind('/');
  const std::string copy = dir + "/" + (slash == std::string::npos ? binary : binary.substr(slash + 1));
  if (!PathExists(copy)) {
    ASSIGN_OR_RETURN(std::string bytes, ReadFile(binary));
    RETURN_IF_ERROR(WriteFile(copy + ".tmp", bytes, 0755));
    if (::chmod((copy + ".tmp").c_str(), 0755) != 0) return ErrnoError("chmod " + copy + ".tmp", errno);
    if (::rename((copy + ".tmp").c_str(), copy.c_str()) != 0) return ErrnoError("rename to " + copy, errno);
  }
  if (!PostgresCanExecute(copy)) {
    return FailedPreconditionError("the postgres user can execute neither " + binary + " nor its copy " + copy +
                                   ": make a directory on the path to the checkout enterable by others "
                                   "(chmod o+x) or clone the repository under /tmp or /home");
  }
  return copy;
}

}  // namespace tusk::backup::testing
