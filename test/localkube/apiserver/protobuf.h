// Decoding of the Kubernetes protobuf envelope ("k8s\0" + runtime.Unknown)
// for the kinds kubectl's typed commands send as protobuf (create token,
// auth can-i/whoami, create serviceaccount/namespace/configmap/secret/role/
// rolebinding/clusterrole/clusterrolebinding/deployment), into the same JSON a client
// would have sent. Field numbers follow the Kubernetes generated.proto files.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace tusk::localkube {

inline constexpr char kProtobufContentType[] = "application/vnd.kubernetes.protobuf";

// The object as JSON (with apiVersion and kind), or nullopt with `error`
// set when the body is malformed or its kind is not one localkube decodes.
std::optional<nlohmann::json> DecodeKubeProtobuf(const std::string& body, std::string* error);

}  // namespace tusk::localkube
