#include "common/backup/pg_session.h"

#include <libpq-fe.h>

namespace tusk::backup {

StatusOr<PgSession> PgSession::Connect(const std::string& conninfo) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::string err = PQerrorMessage(c);
    PQfinish(c);
    return UnavailableError("cannot connect to postgres (" + conninfo + "): " + err);
  }
  return PgSession(c);
}

PgSession::~PgSession() {
  if (conn_ != nullptr) PQfinish(conn_);
}

StatusOr<std::vector<std::vector<std::string>>> PgSession::Query(const std::string& sql,
                                                                 const std::vector<std::string>& params) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  PGresult* r = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                             nullptr, 0);
  auto st = PQresultStatus(r);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    std::string err = PQresultErrorMessage(r);
    PQclear(r);
    return InternalError(sql + ": " + err);
  }
  std::vector<std::vector<std::string>> rows;
  for (int i = 0; i < PQntuples(r); ++i) {
    std::vector<std::string> row;
    for (int j = 0; j < PQnfields(r); ++j) row.emplace_back(PQgetvalue(r, i, j));
    rows.push_back(std::move(row));
  }
  PQclear(r);
  return rows;
}

StatusOr<std::string> PgSession::Value(const std::string& sql, const std::vector<std::string>& params) {
  ASSIGN_OR_RETURN(auto rows, Query(sql, params));
  if (rows.size() != 1 || rows[0].size() != 1) return InternalError(sql + ": expected one value");
  return rows[0][0];
}

}  // namespace tusk::backup
