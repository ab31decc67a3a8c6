#include "common/k8s/yaml_json.h"

#include <yaml.h>

#include <cctype>
#include <cstdlib>
#include <map>
#include <memory>
#include <vector>

namespace tusk::k8s {
namespace {

using Json = nlohmann::json;

Json PlainScalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE" || s == "yes") return true;
  if (s == "false" || s == "False" || s == "FALSE" || s == "no") return false;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (end != nullptr && *end == '\0' && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-')) return v;
  return s;
}

// One open collection while walking parser events.
struct Frame {
  Json value;
  bool is_map = false;
  std::string key;
  bool have_key = false;
};

}  // namespace

StatusOr<Json> YamlToJson(const std::string& text) {
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) return InternalError("yaml: cannot initialise parser");
  std::unique_ptr<yaml_parser_t, void (*)(yaml_parser_t*)> guard(&parser, yaml_parser_delete);
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());

  std::vector<Frame> stack;
  std::map<std::string, Json> anchors;
  Json root;
  bool have_root = false;

  // Attaches a finished value to the collection being built (or makes it the root).
  auto attach = [&](Json v) -> Status {
    if (stack.empty()) {
      if (!have_root) {
        root = std::move(v);
        have_root = true;
      }
      return OkStatus();
    }
    Frame& f = stack.back();
    if (!f.is_map) {
      f.value.push_back(std::move(v));
    } else if (!f.have_key) {
      if (!v.is_string()) v = v.dump();
      f.key = v.get<std::string>();
      f.have_key = true;
    } else {
      f.value[f.key] = std::move(v);
      f.have_key = false;
    }
    return OkStatus();
  };

  for (bool done = false; !done;) {
    yaml_event_t event;
    if (!yaml_parser_parse(&parser, &event)) {
      return InvalidArgumentError("yaml: " + std::string(parser.problem ? parser.problem : "parse error") +
                                  " at line " + std::to_string(parser.problem_mark.line + 1));
    }
    std::unique_ptr<yaml_event_t, void (*)(yaml_event_t*)> event_guard(&event, yaml_event_delete);
    Status st;
    switch (event.type) {
      case YAML_STREAM_END_EVENT:
      case YAML_DOCUMENT_END_EVENT:
        done = have_root;
        if (event.type == YAML_STREAM_END_EVENT) done = true;
        break;
      case YAML_SCALAR_EVENT: {
        std::string s(reinterpret_cast<const char*>(event.data.scalar.value), event.data.scalar.length);
        Json v = event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? PlainScalar(s) : Json(s);
        if (event.data.scalar.anchor) anchors[reinterpret_cast<const char*>(event.data.scalar.anchor)] = v;
        st = attach(std::move(v));
        break;
      }
      case YAML_ALIAS_EVENT: {
        auto it = anchors.find(reinterpret_cast<const char*>(event.data.alias.anchor));
        if (it == anchors.end()) return InvalidArgumentError("yaml: unknown alias");
        st = attach(it->second);
        break;
      }
      case YAML_SEQUENCE_START_EVENT:
        stack.push_back(Frame{Json::array(), false, "", false});
        break;
      case YAML_MAPPING_START_EVENT:
        stack.push_back(Frame{Json::object(), true, "", false});
        break;
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: {
        Json v = std::move(stack.back().value);
        stack.pop_back();
        st = attach(std::move(v));
        break;
      }
      default:
        break;
    }
    RETURN_IF_ERROR(st);
  }
  return root;
}

}  // namespace tusk::k8s
