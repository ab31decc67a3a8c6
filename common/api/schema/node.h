// The vocabulary the CRD schemas are written in: each function returns one
// OpenAPI v3 schema node that kube-apiserver accepts as part of a structural
// schema (every node typed, int-or-string and preserved objects marked).
// Pure values; the kinds are described with it in the files beside this one.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace tusk::api::schema {

using Json = nlohmann::json;

class Node {
 public:
  Node() = default;
  explicit Node(Json schema) : schema_(std::move(schema)) {}

  Node& Doc(std::string_view description);
  Node& Default(Json value);
  Node& Enum(std::initializer_list<std::string_view> values);
  template <size_t N>
  Node& Enum(const std::array<std::string_view, N>& values) {
    return EnumOf(std::vector<std::string_view>(values.begin(), values.end()));
  }
  Node& Min(int64_t value);
  Node& Max(int64_t value);
  Node& MinLength(int64_t value);
  Node& MaxLength(int64_t value);
  Node& MinItems(int64_t value);
  Node& MaxItems(int64_t value);
  Node& Pattern(std::string_view regex);
  Node& Format(std::string_view format);
  // A CEL rule (x-kubernetes-validations) kube-apiserver evaluates.
  Node& Rule(std::string_view rule, std::string_view message);
  // Marks the field as required in the object that holds it.
  Node& Required();

  bool required() const { return required_; }
  const Json& json() const { return schema_; }

 private:
  Node& EnumOf(const std::vector<std::string_view>& values);

  Json schema_ = Json::object();
  bool required_ = false;
};

struct Field {
  std::string name;
  Node node;
};

Node Str();
Node Bool();
Node Int();    // Go int: no format, as controller-gen writes it
Node Int32();
Node Int64();
Node Time();      // metav1.Time: RFC 3339
Node Duration();  // metav1.Duration: "1h30m"
Node Bytes();     // []byte: base64 in JSON
// A resource.Quantity ("1Gi", 512): integer or string, the string checked
// against Kubernetes' quantity grammar, so "1Gb" is refused naming the field.
Node Quantity();
Node Object(std::vector<Field> fields);
Node List(Node item);
// A list whose items are identified by `keys` (x-kubernetes-list-type: map);
// each key must be a required field of the item.
Node ListMap(Node item, std::vector<std::string> keys);
Node MapOf(Node value);
Node StrMap();
Node StrList();
// An object accepted as is: a Kubernetes type embedded in a CloudNativePG one
// (resources, affinity, pod template, ...), which kube-apiserver itself
// validates where it applies it (the Pod, the PVC). `type_name` says which.
Node Embedded(std::string_view type_name);
Node EmbeddedList(std::string_view type_name);

// The root of a kind's openAPIV3Schema: apiVersion, kind, metadata and, when
// given, spec and status.
Node Root(std::string_view description, const Node* spec, const Node* status, bool spec_required);

// How many named fields a schema spells out with a type, and how many it
// leaves to x-kubernetes-preserve-unknown-fields (not descending into them).
struct FieldCount {
  int spelled = 0;
  int preserved = 0;
};
FieldCount CountFields(const Json& schema);

}  // namespace tusk::api::schema
