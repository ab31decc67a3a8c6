// A libpq connection kept open for the life of its owner, so a status
// collection is one round trip and not a new backend per call, and a session
// (pg_backup_start .. pg_backup_stop) stays one backend. Reconnects on the
// next query after the server went away. Values reach the server as query
// parameters ($1, $2, ...), never quoted into the SQL text.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/base/status.h"

typedef struct pg_conn PGconn;

namespace tusk::pg {

struct QueryResult {
  std::vector<std::string> columns;
  // Text values; nullopt for SQL NULL.
  std::vector<std::vector<std::optional<std::string>>> rows;
  // First column of the first row, or "" when there is none / it is NULL.
  std::string Scalar() const;
};

class Connection {
 public:
  // `conninfo` is a libpq connection string; connecting is deferred to the
  // first query.
  explicit Connection(std::string conninfo);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs `sql`: without `params`, one or more statements (the last result
  // is returned); with them, one statement whose $1.. are bound to `params`
  // as text. Errors carry PostgreSQL's message. A broken connection is
  // dropped and re-established once before giving up.
  StatusOr<QueryResult> Query(const std::string& sql, const std::vector<std::string>& params = {});
  Status Exec(const std::string& sql, const std::vector<std::string>& params = {}) {
    return Query(sql, params).status();
  }
  // The single value of a one-row, one-column result ("" for NULL); an
  // error for any other shape.
  StatusOr<std::string> Value(const std::string& sql, const std::vector<std::string>& params = {});
  // Connects now rather than at the first query, to fail early.
  Status Connect() { return EnsureConnected(); }

  bool connected() const;
  void Close();

 private:
  Status EnsureConnected();
  StatusOr<QueryResult> RunOnce(const std::string& sql, const std::vector<std::string>& params,
                                bool* connection_lost);

  std::string conninfo_;
  PGconn* conn_ = nullptr;
};

// 'value' with quotes doubled, for SQL literals. Only for utility statements,
// which take no parameters (ALTER ROLE ... PASSWORD); pass values to Query
// as parameters everywhere else.
std::string QuoteLiteral(const std::string& value);

}  // namespace tusk::pg
