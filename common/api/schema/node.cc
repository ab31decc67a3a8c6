#include "common/api/schema/node.h"

#include "common/api/schema/values.h"

namespace tusk::api::schema {

Node& Node::Doc(std::string_view description) {
  schema_["description"] = description;
  return *this;
}

Node& Node::Default(Json value) {
  schema_["default"] = std::move(value);
  return *this;
}

Node& Node::Enum(std::initializer_list<std::string_view> values) {
  return EnumOf(std::vector<std::string_view>(values));
}

Node& Node::EnumOf(const std::vector<std::string_view>& values) {
  Json list = Json::array();
  for (auto v : values) list.push_back(v);
  schema_["enum"] = std::move(list);
  return *this;
}

Node& Node::Min(int64_t value) {
  schema_["minimum"] = value;
  return *this;
}

Node& Node::Max(int64_t value) {
  schema_["maximum"] = value;
  return *this;
}

Node& Node::MinLength(int64_t value) {
  schema_["minLength"] = value;
  return *this;
}

Node& Node::MaxLength(int64_t value) {
  schema_["maxLength"] = value;
  return *this;
}

Node& Node::MinItems(int64_t value) {
  schema_["minItems"] = value;
  return *this;
}

Node& Node::MaxItems(int64_t value) {
  schema_["maxItems"] = value;
  return *this;
}

Node& Node::Pattern(std::string_view regex) {
  schema_["pattern"] = regex;
  return *this;
}

Node& Node::Format(std::string_view format) {
  schema_["format"] = format;
  return *this;
}

Node& Node::Rule(std::string_view rule, std::string_view message) {
  schema_["x-kubernetes-validations"].push_back({{"rule", rule}, {"message", message}});
  return *this;
}

Node& Node::Required() {
  required_ = true;
  return *this;
}

Node Str() { return Node(Json{{"type", "string"}}); }
Node Bool() { return Node(Json{{"type", "boolean"}}); }
Node Int() { return Node(Json{{"type", "integer"}}); }
Node Int32() { return Node(Json{{"type", "integer"}, {"format", "int32"}}); }
Node Int64() { return Node(Json{{"type", "integer"}, {"format", "int64"}}); }
Node Time() { return Node(Json{{"type", "string"}, {"format", "date-time"}}); }
Node Duration() { return Str(); }
Node Bytes() { return Node(Json{{"type", "string"}, {"format", "byte"}}); }

Node Quantity() {
  return Node(Json{{"anyOf", Json::array({{{"type", "integer"}}, {{"type", "string"}}})},
               {"pattern", kQuantityPattern},
               {"x-kubernetes-int-or-string", true}});
}

Node Object(std::vector<Field> fields) {
  Json schema = {{"type", "object"}, {"properties", Json::object()}};
  Json required = Json::array();
  for (auto& f : fields) {
    schema["properties"][f.name] = f.node.json();
    if (f.node.required()) required.push_back(f.name);
  }
  if (!required.empty()) schema["required"] = std::move(required);
  return Node(std::move(schema));
}

Node List(Node item) { return Node(Json{{"type", "array"}, {"items", item.json()}}); }

Node ListMap(Node item, std::vector<std::string> keys) {
  return Node(Json{{"type", "array"},
               {"items", item.json()},
               {"x-kubernetes-list-type", "map"},
               {"x-kubernetes-list-map-keys", keys}});
}

Node MapOf(Node value) { return Node(Json{{"type", "object"}, {"additionalProperties", value.json()}}); }
Node StrMap() { return MapOf(Str()); }
Node StrList() { return List(Str()); }

Node Embedded(std::string_view type_name) {
  Node n(Json{{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}});
  n.Doc(std::string("Kubernetes ") + std::string(type_name) + ", passed on as written.");
  return n;
}

Node EmbeddedList(std::string_view type_name) {
  Node item(Json{{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}});
  Node n = List(item);
  n.Doc(std::string("A list of Kubernetes ") + std::string(type_name) + ", passed on as written.");
  return n;
}

Node Root(std::string_view description, const Node* spec, const Node* status, bool spec_required) {
  std::vector<Field> fields = {
      {"apiVersion", Str()},
      {"kind", Str()},
      {"metadata", Node(Json{{"type", "object"}})},
  };
  if (spec) {
    fields.push_back({"spec", *spec});
    if (spec_required) fields.back().node.Required();
  }
  if (status) fields.push_back({"status", *status});
  Node root = Object(std::move(fields));
  root.Doc(description);
  return root;
}

namespace {

// A field is left to kube-apiserver's pass-through when it, or the items of
// the list it is, preserve unknown fields.
bool Preserved(const Json& node) {
  if (node.value("x-kubernetes-preserve-unknown-fields", false)) return true;
  auto items = node.find("items");
  return items != node.end() && items->value("x-kubernetes-preserve-unknown-fields", false);
}

void Count(const Json& node, FieldCount* out) {
  if (!node.is_object()) return;
  if (auto props = node.find("properties"); props != node.end()) {
    for (const auto& [name, child] : props->items()) {
      if (Preserved(child)) {
        ++out->preserved;
      } else {
        ++out->spelled;
        Count(child, out);
      }
    }
  }
  if (auto items = node.find("items"); items != node.end()) Count(*items, out);
  if (auto extra = node.find("additionalProperties"); extra != node.end()) Count(*extra, out);
}

}  // namespace

FieldCount CountFields(const Json& schema) {
  FieldCount out;
  Count(schema, &out);
  return out;
}

}  // namespace tusk::api::schema
