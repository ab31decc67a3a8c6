// Turns a request path and method into what it addresses, the way
// kube-apiserver's RequestInfo does: API group, version, namespace,
// resource, name, subresource and the RBAC verb.
#pragma once

#include <optional>
#include <string>

namespace tusk::localkube {

struct RequestInfo {
  bool resource_request = false;
  std::string path;
  std::string verb;  // get list watch create update patch delete deletecollection
  std::string api_prefix;  // "api" or "apis"
  std::string group;
  std::string version;
  std::string ns;
  std::string resource;
  std::string name;
  std::string subresource;
};

// method: GET POST PUT PATCH DELETE. watch: the query asks for a watch.
RequestInfo ParseRequestInfo(const std::string& method, const std::string& path, bool watch);

// The name RBAC sees: the path's, or for a list or watch whose field
// selector requires `metadata.name=X`, X — as kube-apiserver does, so a
// Role's resourceNames can grant a watch of one object.
std::string AuthorizationName(const RequestInfo& info, const std::string& field_selector);

}  // namespace tusk::localkube
