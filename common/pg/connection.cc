#include "common/pg/connection.h"

#include <libpq-fe.h>

namespace tusk::pg {

std::string QueryResult::Scalar() const {
  if (rows.empty() || rows[0].empty() || !rows[0][0]) return "";
  return *rows[0][0];
}

std::string QuoteLiteral(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

Connection::Connection(std::string conninfo) : conninfo_(std::move(conninfo)) {}

Connection::~Connection() { Close(); }

void Connection::Close() {
  if (conn_) PQfinish(conn_);
  conn_ = nullptr;
}

bool Connection::connected() const { return conn_ && PQstatus(conn_) == CONNECTION_OK; }

Status Connection::EnsureConnected() {
  if (connected()) return OkStatus();
  Close();
  conn_ = PQconnectdb(conninfo_.c_str());
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string msg = conn_ ? PQerrorMessage(conn_) : "out of memory";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    Close();
    return UnavailableError("connect to postgres: " + msg);
  }
  return OkStatus();
}

StatusOr<QueryResult> Connection::RunOnce(const std::string& sql, const std::vector<std::string>& params,
                                          bool* connection_lost) {
  *connection_lost = false;
  RETURN_IF_ERROR(EnsureConnected());
  PGresult* res;
  if (params.empty()) {
    res = PQexec(conn_, sql.c_str());
  } else {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p.c_str());
    res = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr,
                       0);
  }
  ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    std::string msg = res ? PQresultErrorMessage(res) : PQerrorMessage(conn_);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    if (res) PQclear(res);
    if (PQstatus(conn_) != CONNECTION_OK) {
      *connection_lost = true;
      Close();
      return UnavailableError("postgres connection lost: " + msg);
    }
    return FailedPreconditionError(msg);
  }
  QueryResult out;
  int ncols = PQnfields(res), nrows = PQntuples(res);
  for (int c = 0; c < ncols; ++c) out.columns.emplace_back(PQfname(res, c));
  out.rows.reserve(nrows);
  for (int r = 0; r < nrows; ++r) {
    std::vector<std::optional<std::string>> row;
    row.reserve(ncols);
    for (int c = 0; c < ncols; ++c) {
      if (PQgetisnull(res, r, c)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(PQgetvalue(res, r, c), PQgetlength(res, r, c)));
      }
    }
    out.rows.push_back(std::move(row));
  }
  PQclear(res);
  return out;
}

StatusOr<QueryResult> Connection::Query(const std::string& sql, const std::vector<std::string>& params) {
  const bool was_connected = connected();
  bool lost = false;
  auto r = RunOnce(sql, params, &lost);
  // A connection that broke since its last use (postgres restarted) gets
  // one fresh attempt; a failure on a fresh connection is final.
  if (!r.ok() && lost && was_connected) r = RunOnce(sql, params, &lost);
  return r;
}

StatusOr<std::string> Connection::Value(const std::string& sql, const std::vector<std::string>& params) {
  ASSIGN_OR_RETURN(QueryResult r, Query(sql, params));
  if (r.rows.size() != 1 || r.columns.size() != 1) {
    return InternalError(sql + ": expected one value, got " + std::to_string(r.rows.size()) + " rows of " +
                         std::to_string(r.columns.size()) + " columns");
  }
  return r.Scalar();
}

}  // namespace tusk::pg
