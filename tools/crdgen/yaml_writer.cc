#include "tools/crdgen/yaml_writer.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

namespace tusk::crdgen {
namespace {

using nlohmann::json;

// Words YAML 1.1 readers turn into booleans or null when unquoted.
constexpr std::array<std::string_view, 12> kReserved = {"y", "n", "yes", "no", "true", "false",
                                                        "on", "off", "null", "nil", "~", "none"};

// A plain scalar is kept only for identifier-like text; anything that could
// read as a number, boolean, null, or carry YAML syntax is double-quoted.
bool Plain(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '/' || c == '-')) return false;
  }
  std::string lower(s);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::find(kReserved.begin(), kReserved.end(), lower) == kReserved.end();
}

// JSON's string escapes are all valid in a YAML double-quoted scalar.
std::string Text(const std::string& s) { return Plain(s) ? s : json(s).dump(); }

std::string Scalar(const json& v) {
  if (v.is_string()) return Text(v.get<std::string>());
  if (v.is_object()) return "{}";
  if (v.is_array()) return "[]";
  return v.dump();
}

bool Nested(const json& v) { return (v.is_object() || v.is_array()) && !v.empty(); }

void WriteMap(const json& map, size_t indent, bool first_inline, std::string& out);
void WriteSeq(const json& seq, size_t indent, std::string& out);

void WriteValue(const json& v, size_t indent, std::string& out) {
  if (v.is_object() && !v.empty()) {
    out += "\n";
    WriteMap(v, indent + 2, false, out);
  } else if (v.is_array() && !v.empty()) {
    // Sequence items at their key's indentation, as kubectl writes them.
    out += "\n";
    WriteSeq(v, indent, out);
  } else {
    out += " " + Scalar(v) + "\n";
  }
}

void WriteMap(const json& map, size_t indent, bool first_inline, std::string& out) {
  bool first = true;
  for (const auto& [key, value] : map.items()) {
    if (!(first && first_inline)) out += std::string(indent, ' ');
    first = false;
    out += Text(key) + ":";
    WriteValue(value, indent, out);
  }
}

void WriteSeq(const json& seq, size_t indent, std::string& out) {
  for (const auto& item : seq) {
    out += std::string(indent, ' ') + "-";
    if (item.is_object() && !item.empty()) {
      out += " ";
      WriteMap(item, indent + 2, true, out);
    } else if (Nested(item)) {
      out += "\n";
      WriteSeq(item, indent + 2, out);
    } else {
      out += " " + Scalar(item) + "\n";
    }
  }
}

}  // namespace

std::string ToYaml(const json& value) {
  std::string out;
  if (value.is_object() && !value.empty()) {
    WriteMap(value, 0, false, out);
  } else if (value.is_array() && !value.empty()) {
    WriteSeq(value, 0, out);
  } else {
    out = Scalar(value) + "\n";
  }
  return out;
}

std::string ToYamlStream(const std::vector<json>& documents) {
  std::string out;
  for (const auto& d : documents) out += "---\n" + ToYaml(d);
  return out;
}

}  // namespace tusk::crdgen
