// A libpq connection kept open for the life of its owner, so a status
// collection is one round trip and not a new backend per call. Reconnects
// on the next query after the server went away.
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

  // Runs `sql` (one or more statements; the last result is returned).
  // Errors carry PostgreSQL's message. A broken connection is dropped and
  // re-established once before giving up.
  StatusOr<QueryResult> Query(const std::string& sql);
  Status Exec(const std::string& sql) { return Query(sql).status(); }

  bool connected() const;
  void Close();

 private:
  Status EnsureConnected();
  StatusOr<QueryResult> RunOnce(const std::string& sql, bool* connection_lost);

  std::string conninfo_;
  PGconn* conn_ = nullptr;
};

// 'value' with quotes doubled, for SQL literals.
std::string QuoteLiteral(const std::string& value);

}  // namespace tusk::pg
