#include "test/localkube/apiserver/schema.h"

#include <algorithm>
#include <regex>

namespace tusk::localkube {
namespace {

std::string TypeName(const json& v) {
  if (v.is_string()) return "string";
  if (v.is_number_integer() || v.is_number_unsigned()) return "integer";
  if (v.is_number()) return "number";
  if (v.is_boolean()) return "boolean";
  if (v.is_array()) return "array";
  if (v.is_object()) return "object";
  return "null";
}

bool TypeOk(const json& v, const std::string& type) {
  if (type.empty()) return true;
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "integer") return v.is_number_integer() || v.is_number_unsigned() ||
                                (v.is_number_float() && v.get<double>() == static_cast<double>(static_cast<long long>(v.get<double>())));
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_boolean();
  return true;
}

std::string NumText(const json& n) {
  if (n.is_number_float()) {
    double d = n.get<double>();
    if (d == static_cast<double>(static_cast<long long>(d))) return std::to_string(static_cast<long long>(d));
  }
  return n.dump();
}

// Go's %#v of the map[string]interface{} kube-apiserver reports a duplicate
// list-map key with: map[string]interface {}{"name":"a", "port":1}.
std::string GoMap(const json& keys) {
  std::string out = "map[string]interface {}{";
  bool first = true;
  for (const auto& [k, v] : keys.items()) {
    out += (first ? "" : ", ") + json(k).dump() + ":" + GoValue(v);
    first = false;
  }
  return out + "}";
}

class Walker {
 public:
  SchemaOutcome out;

  void Walk(json& v, const json& s, const std::string& path) {
    if (!s.is_object()) return;
    if (v.is_null()) {
      if (s.value("nullable", false)) return;
      if (s.contains("type")) {
        out.errors.push_back({"FieldValueTypeInvalid", path,
                              "Invalid value: \"null\": " + path + " in body must be of type " +
                                  s["type"].get<std::string>() + ": \"null\""});
      }
      return;
    }
    if (s.value("x-kubernetes-int-or-string", false)) {
      // Either form is accepted; the value checks that fit it still apply
      // (a quantity's pattern to strings, minimum to integers).
      if (!(v.is_string() || v.is_number_integer())) {
        out.errors.push_back({"FieldValueTypeInvalid", path,
                              "Invalid value: \"" + TypeName(v) + "\": " + path +
                                  " in body must be of type integer,string: \"" + TypeName(v) + "\""});
        return;
      }
    } else if (std::string type = s.value("type", ""); !TypeOk(v, type)) {
      out.errors.push_back({"FieldValueTypeInvalid", path,
                            "Invalid value: \"" + TypeName(v) + "\": " + path + " in body must be of type " + type +
                                ": \"" + TypeName(v) + "\""});
      return;
    }
    if (auto e = s.find("enum"); e != s.end() && e->is_array()) {
      bool found = false;
      for (const auto& x : *e) found = found || x == v;
      if (!found) {
        std::vector<std::string> sup;
        for (const auto& x : *e) sup.push_back(GoValue(x));
        out.errors.push_back(NotSupportedField(path, v, sup));
      }
    }
    if (v.is_object()) {
      WalkObject(v, s, path);
    } else if (v.is_array()) {
      WalkArray(v, s, path);
    } else if (v.is_string()) {
      CheckString(v, s, path);
    } else if (v.is_number()) {
      CheckNumber(v, s, path);
    }
  }

  void WalkObject(json& v, const json& s, const std::string& path) {
    const json empty = json::object();
    const json& props = s.contains("properties") ? s["properties"] : empty;
    bool preserve = s.value("x-kubernetes-preserve-unknown-fields", false);
    const json* additional = s.contains("additionalProperties") && s["additionalProperties"].is_object()
                                 ? &s["additionalProperties"] : nullptr;
    bool additional_any = s.contains("additionalProperties") && s["additionalProperties"].is_boolean() &&
                          s["additionalProperties"].get<bool>();
    // A null field that may not be null is dropped before defaulting, so a
    // default takes its place and an empty YAML key is not an error.
    std::vector<std::string> nulls;
    for (auto& [k, x] : v.items()) {
      if (x.is_null() && props.contains(k) && !props[k].value("nullable", false)) nulls.push_back(k);
    }
    for (const auto& k : nulls) v.erase(k);
    for (auto& [k, ps] : props.items()) {
      if (!v.contains(k) && ps.is_object() && ps.contains("default")) v[k] = ps["default"];
    }
    std::vector<std::string> drop;
    for (auto& [k, x] : v.items()) {
      std::string child = path.empty() ? k : path + "." + k;
      if (path.empty() && (k == "apiVersion" || k == "kind" || k == "metadata")) continue;
      if (props.contains(k)) {
        Walk(x, props[k], child);
      } else if (additional) {
        Walk(x, *additional, child);
      } else if (!preserve && !additional_any) {
        drop.push_back(k);
        out.pruned.push_back(child);
      }
    }
    for (const auto& k : drop) v.erase(k);
    if (auto req = s.find("required"); req != s.end() && req->is_array()) {
      for (const auto& r : *req) {
        std::string k = r.get<std::string>();
        if (!v.contains(k)) out.errors.push_back(RequiredField(path.empty() ? k : path + "." + k));
      }
    }
    if (auto it = s.find("maxProperties"); it != s.end() && v.size() > it->get<size_t>()) {
      out.errors.push_back(TooManyField(path, v.size(), it->get<size_t>()));
    }
  }

  void WalkArray(json& v, const json& s, const std::string& path) {
    if (auto it = s.find("maxItems"); it != s.end() && v.size() > it->get<size_t>()) {
      out.errors.push_back(TooManyField(path, v.size(), it->get<size_t>()));
    }
    if (auto it = s.find("minItems"); it != s.end() && v.size() < it->get<size_t>()) {
      out.errors.push_back(InvalidField(path, json(static_cast<int64_t>(v.size())),
                                        path + " in body should have at least " + it->dump() + " items"));
    }
    if (auto items = s.find("items"); items != s.end()) {
      for (size_t i = 0; i < v.size(); ++i) Walk(v[i], *items, path + "[" + std::to_string(i) + "]");
    }
    CheckListType(v, s, path);
  }

  // x-kubernetes-list-type: items of a set are unique, the key fields of a
  // map's items identify one item each.
  void CheckListType(const json& v, const json& s, const std::string& path) {
    const std::string type = s.value("x-kubernetes-list-type", "");
    if (type != "set" && type != "map") return;
    std::vector<json> seen;
    for (size_t i = 0; i < v.size(); ++i) {
      json id = v[i];
      if (type == "map") {
        if (!v[i].is_object()) continue;
        id = json::object();
        for (const auto& k : s.value("x-kubernetes-list-map-keys", json::array())) {
          const std::string key = k.get<std::string>();
          if (v[i].contains(key)) id[key] = v[i][key];
        }
      }
      if (std::find(seen.begin(), seen.end(), id) != seen.end()) {
        const std::string field = path + "[" + std::to_string(i) + "]";
        out.errors.push_back({"FieldValueDuplicate", field,
                              "Duplicate value: " + (type == "map" ? GoMap(id) : GoValue(id))});
      } else {
        seen.push_back(std::move(id));
      }
    }
  }

  void CheckString(const json& v, const json& s, const std::string& path) {
    const std::string str = v.get<std::string>();
    if (auto it = s.find("maxLength"); it != s.end() && str.size() > it->get<size_t>()) {
      out.errors.push_back(TooLongField(path, it->get<size_t>()));
    }
    if (auto it = s.find("minLength"); it != s.end() && str.size() < it->get<size_t>()) {
      out.errors.push_back(InvalidField(path, v, path + " in body should be at least " + it->dump() + " chars long"));
    }
    if (auto it = s.find("pattern"); it != s.end() && it->is_string()) {
      try {
        if (!std::regex_search(str, std::regex(it->get<std::string>(), std::regex::ECMAScript))) {
          out.errors.push_back(InvalidField(path, v, path + " in body should match '" + it->get<std::string>() + "'"));
        }
      } catch (const std::regex_error&) {
      }
    }
  }

  void CheckNumber(const json& v, const json& s, const std::string& path) {
    double d = v.get<double>();
    if (auto it = s.find("minimum"); it != s.end() && it->is_number()) {
      bool excl = s.value("exclusiveMinimum", false);
      double m = it->get<double>();
      if (excl ? d <= m : d < m) {
        out.errors.push_back(InvalidField(path, v, path + " in body should be greater than " +
                                                       std::string(excl ? "" : "or equal to ") + NumText(*it)));
      }
    }
    if (auto it = s.find("maximum"); it != s.end() && it->is_number()) {
      bool excl = s.value("exclusiveMaximum", false);
      double m = it->get<double>();
      if (excl ? d >= m : d > m) {
        out.errors.push_back(InvalidField(path, v, path + " in body should be less than " +
                                                       std::string(excl ? "" : "or equal to ") + NumText(*it)));
      }
    }
  }
};

}  // namespace

SchemaOutcome ApplySchema(json& object, const json& schema) {
  Walker w;
  w.WalkObject(object, schema, "");
  return std::move(w.out);
}

}  // namespace tusk::localkube
