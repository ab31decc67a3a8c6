// Object metadata shared by every resource, and the two generic steps every
// typed resource goes through: parse from JSON (keeping the original document)
// and serialize back over that document.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/api/fields.h"

namespace tusk::api {

inline constexpr char kCnpgGroup[] = "postgresql.cnpg.io";
inline constexpr char kCnpgApiVersion[] = "postgresql.cnpg.io/v1";

struct OwnerReference {
  std::optional<std::string> api_version, kind, name, uid;
  std::optional<bool> controller, block_owner_deletion;

  template <typename V, typename Self>
  static void Visit(V& v, Self& o) {
    v("/apiVersion", o.api_version);
    v("/kind", o.kind);
    v("/name", o.name);
    v("/uid", o.uid);
    v("/controller", o.controller);
    v("/blockOwnerDeletion", o.block_owner_deletion);
  }
};

struct ObjectMeta {
  std::optional<std::string> name, generate_name, namespace_, uid, resource_version;
  std::optional<std::string> creation_timestamp, deletion_timestamp;
  std::optional<int64_t> generation;
  std::optional<std::map<std::string, std::string>> labels, annotations;
  std::optional<std::vector<OwnerReference>> owner_references;
  std::optional<std::vector<std::string>> finalizers;

  template <typename V, typename Self>
  static void Visit(V& v, Self& m) {
    v("/metadata/name", m.name);
    v("/metadata/generateName", m.generate_name);
    v("/metadata/namespace", m.namespace_);
    v("/metadata/uid", m.uid);
    v("/metadata/resourceVersion", m.resource_version);
    v("/metadata/creationTimestamp", m.creation_timestamp);
    v("/metadata/deletionTimestamp", m.deletion_timestamp);
    v("/metadata/generation", m.generation);
    v("/metadata/labels", m.labels);
    v("/metadata/annotations", m.annotations);
    v("/metadata/ownerReferences", m.owner_references);
    v("/metadata/finalizers", m.finalizers);
  }
};

// T provides kApiVersion, kKind, `ObjectMeta metadata`, `Json raw` and a
// static Visit over its own spec/status fields.
template <typename T>
StatusOr<T> ParseResource(const Json& doc) {
  if (!doc.is_object()) return InvalidArgumentError(std::string(T::kKind) + ": expected a JSON object");
  // A document of another kind would read as an empty resource, every
  // field unset; "kind" may be absent (a hand-written file, a test).
  if (auto kind = doc.find("kind"); kind != doc.end() && *kind != T::kKind) {
    return InvalidArgumentError(std::string("expected kind ") + T::kKind + ", got " + kind->dump());
  }
  T out;
  out.raw = doc;
  FieldReader reader(doc);
  ObjectMeta::Visit(reader, out.metadata);
  T::Visit(reader, out);
  if (!reader.status().ok()) {
    return reader.status().WithContext(std::string(T::kKind) + " \"" + out.metadata.name.value_or("") + "\"");
  }
  return out;
}

template <typename T>
Json SerializeResource(const T& resource) {
  Json out = resource.raw.is_object() ? resource.raw : Json::object();
  out["apiVersion"] = T::kApiVersion;
  out["kind"] = T::kKind;
  FieldWriter writer(out);
  ObjectMeta::Visit(writer, resource.metadata);
  T::Visit(writer, resource);
  return out;
}

// Helpers for defaulting: set only when the user left the field unset.
template <typename T, typename U>
void Default(std::optional<T>& field, U value) {
  if (!field.has_value()) field = T(std::move(value));
}

// True for a valid RFC 1123 DNS label (what Kubernetes requires of most names).
bool IsDnsLabel(const std::string& s);

}  // namespace tusk::api
