// One libpq session for the base backup: pg_backup_start and pg_backup_stop
// must run on the same connection, so the backup holds this open throughout.
// (common/pg's wrapper serves the instance manager; this one is the backup
// engine's own minimal need: text queries on one session.)
#pragma once

#include <string>
#include <vector>

#include "common/base/status.h"

typedef struct pg_conn PGconn;

namespace tusk::backup {

class PgSession {
 public:
  static StatusOr<PgSession> Connect(const std::string& conninfo);
  PgSession(PgSession&& other) noexcept : conn_(other.conn_) { other.conn_ = nullptr; }
  PgSession& operator=(PgSession&&) = delete;
  ~PgSession();

  // Rows of text columns; a NULL is "".
  StatusOr<std::vector<std::vector<std::string>>> Query(const std::string& sql,
                                                        const std::vector<std::string>& params = {});
  // The single value of a one-row, one-column result.
  StatusOr<std::string> Value(const std::string& sql, const std::vector<std::string>& params = {});

 private:
  explicit PgSession(PGconn* conn) : conn_(conn) {}
  PGconn* conn_;
};

}  // namespace tusk::backup
