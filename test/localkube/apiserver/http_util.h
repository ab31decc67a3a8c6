// Pieces the HTTP handlers share: one request in flight (HttpServer::Call),
// writing Status errors and JSON answers, and reading query options and
// request bodies the way kube-apiserver does.
#pragma once

#include <string>
#include <vector>

#include <httplib.h>

#include "test/localkube/apiserver/http_server.h"
#include "test/localkube/apiserver/request_info.h"

namespace tusk::localkube {

struct HttpServer::Call {
  const httplib::Request& req;
  httplib::Response& res;
  UserInfo user;
  RequestInfo info;
  ResourcePtr r;
};

namespace http {

void WriteJson(httplib::Response& res, int code, const json& body,
               const std::string& content_type = "application/json");
void WriteError(httplib::Response& res, const ApiError& e);
// One `Warning: 299 - "..."` header per warning.
void AddWarnings(httplib::Response& res, const std::vector<std::string>& warnings);
std::string Param(const httplib::Request& req, const char* name);
// Go's strconv.ParseBool, which kube-apiserver uses for query flags.
bool Truthy(const std::string& v);
bool WantsTable(const httplib::Request& req);
// JSON, or the protobuf kubectl's typed commands send; 413 past `max`.
ApiOr<json> ParseBody(const httplib::Request& req, size_t max);
WriteOptions WriteOptionsFrom(const httplib::Request& req);
ListOptions ListOptionsFrom(const httplib::Request& req);
// The Status most kinds answer a DELETE with.
json SuccessStatus(const ResourceInfo& r, const json& obj);

}  // namespace http
}  // namespace tusk::localkube
