#include "test/localkube/apiserver/request_info.h"

#include <vector>

#include "common/k8s/labels.h"

namespace tusk::localkube {

RequestInfo ParseRequestInfo(const std::string& method, const std::string& path, bool watch) {
  RequestInfo info;
  info.path = path;
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string part = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!part.empty()) parts.push_back(part);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  std::string lower = method;
  if (method == "GET" || method == "HEAD") {
    info.verb = "get";
  } else if (method == "POST") {
    info.verb = "create";
  } else if (method == "PUT") {
    info.verb = "update";
  } else if (method == "PATCH") {
    info.verb = "patch";
  } else if (method == "DELETE") {
    info.verb = "delete";
  } else {
    info.verb = method;
  }
  if (parts.empty() || (parts[0] != "api" && parts[0] != "apis")) return info;
  info.api_prefix = parts[0];
  size_t i = 1;
  if (info.api_prefix == "apis") {
    if (parts.size() < 3) return info;  // /apis, /apis/<group>: discovery
    info.group = parts[1];
    info.version = parts[2];
    i = 3;
  } else {
    if (parts.size() < 2) return info;
    info.version = parts[1];
    i = 2;
  }
  std::vector<std::string> rest(parts.begin() + static_cast<long>(i), parts.end());
  if (rest.empty()) return info;  // group-version discovery
  info.resource_request = true;
  if (rest[0] == "namespaces" && rest.size() >= 2) {
    if (rest.size() >= 3 && rest[2] != "status" && rest[2] != "finalize") {
      info.ns = rest[1];
      rest.erase(rest.begin(), rest.begin() + 2);
    } else {
      // The namespace object itself (or its status/finalize subresource).
      info.ns = "";
    }
  }
  info.resource = rest[0];
  if (rest.size() >= 2) info.name = rest[1];
  if (rest.size() >= 3) info.subresource = rest[2];
  if (info.resource == "namespaces" && !info.name.empty() && info.ns.empty()) {
    // RBAC sees requests for a namespace object as being in that namespace.
    info.ns = info.name;
  }
  if (info.name.empty()) {
    if (info.verb == "get") info.verb = watch ? "watch" : "list";
    if (info.verb == "delete") info.verb = "deletecollection";
  } else if (info.verb == "get" && watch) {
    info.verb = "watch";
  }
  return info;
}

std::string AuthorizationName(const RequestInfo& info, const std::string& field_selector) {
  if (!info.name.empty() || (info.verb != "list" && info.verb != "watch") || field_selector.empty()) return info.name;
  auto reqs = k8s::ParseRequirements(field_selector, /*allow_sets=*/false);
  if (!reqs.ok()) return "";
  for (const auto& r : *reqs) {
    if (r.key == "metadata.name" && r.op == k8s::Requirement::Op::kEquals && r.values.size() == 1 &&
        !r.values[0].empty() && r.values[0].find('/') == std::string::npos && r.values[0] != "." &&
        r.values[0] != ".." && r.values[0].find('%') == std::string::npos) {
      return r.values[0];
    }
  }
  return "";
}

}  // namespace tusk::localkube
