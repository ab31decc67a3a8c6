#include "test/localkube/apiserver/http_util.h"

#include "test/localkube/apiserver/meta_util.h"
#include "test/localkube/apiserver/protobuf.h"

namespace tusk::localkube::http {

void WriteJson(httplib::Response& res, int code, const json& body, const std::string& content_type) {
  res.status = code;
  res.set_content(body.dump() + "\n", content_type);
}

void WriteError(httplib::Response& res, const ApiError& e) {
  res.set_header("X-Content-Type-Options", "nosniff");
  WriteJson(res, e.code, e.ToStatus());
}

void AddWarnings(httplib::Response& res, const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) {
    std::string escaped;
    for (char c : w) {
      if (c == '"' || c == '\\') escaped += '\\';
      escaped += c;
    }
    res.set_header("Warning", "299 - \"" + escaped + "\"");
  }
}

std::string Param(const httplib::Request& req, const char* name) {
  return req.has_param(name) ? req.get_param_value(name) : "";
}

bool Truthy(const std::string& v) { return v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True"; }

bool WantsTable(const httplib::Request& req) {
  std::string accept = req.get_header_value("Accept");
  return accept.find("as=Table") != std::string::npos;
}

ApiOr<json> ParseBody(const httplib::Request& req, size_t max) {
  if (req.body.size() > max) return TooLarge("limit is " + std::to_string(max));
  if (req.get_header_value("Content-Type").rfind(kProtobufContentType, 0) == 0) {
    std::string error;
    auto obj = DecodeKubeProtobuf(req.body, &error);
    if (!obj) {
      ApiError e = UnsupportedMediaType({"application/json", "application/yaml"});
      e.message += " (" + error + ")";
      return e;
    }
    return *obj;
  }
  try {
    return json::parse(req.body);
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    auto pos = what.find("syntax error");
    return BadRequest("the object provided is unrecognized: couldn't get version/kind; json parse error: " +
                      (pos == std::string::npos ? what : what.substr(pos)));
  }
}

WriteOptions WriteOptionsFrom(const httplib::Request& req) {
  WriteOptions o;
  o.dry_run = req.has_param("dryRun");
  o.field_manager = Param(req, "fieldManager");
  o.force = Truthy(Param(req, "force"));
  std::string fv = Param(req, "fieldValidation");
  if (!fv.empty()) o.field_validation = fv;
  return o;
}

ListOptions ListOptionsFrom(const httplib::Request& req) {
  ListOptions o;
  o.label_selector = Param(req, "labelSelector");
  o.field_selector = Param(req, "fieldSelector");
  std::string limit = Param(req, "limit");
  if (!limit.empty()) o.limit = std::strtoull(limit.c_str(), nullptr, 10);
  o.continue_token = Param(req, "continue");
  o.resource_version = Param(req, "resourceVersion");
  return o;
}

json SuccessStatus(const ResourceInfo& r, const json& obj) {
  json details = {{"name", StrAt(obj, "/metadata/name"_json_pointer)}, {"kind", r.resource},
                  {"uid", StrAt(obj, "/metadata/uid"_json_pointer)}};
  if (!r.group.empty()) details["group"] = r.group;
  return {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", json::object()}, {"status", "Success"},
          {"details", details}};
}

}  // namespace tusk::localkube::http
