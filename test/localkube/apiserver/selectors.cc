#include "test/localkube/apiserver/selectors.h"

#include <algorithm>
#include <cctype>

namespace tusk::localkube {
namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

// Splits on commas that are not inside parentheses.
std::vector<std::string> SplitTerms(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(Trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!Trim(cur).empty() || !out.empty()) out.push_back(Trim(cur));
  return out;
}

bool ValidKey(const std::string& k) {
  if (k.empty()) return false;
  for (char c : k) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/')) return false;
  }
  return true;
}

std::optional<Requirement> ParseTerm(const std::string& term, bool allow_sets, std::string* error) {
  Requirement r;
  if (term.empty()) {
    *error = "found '', expected: identifier";
    return std::nullopt;
  }
  if (allow_sets && term[0] == '!') {
    r.key = Trim(term.substr(1));
    r.op = Requirement::Op::kDoesNotExist;
    if (!ValidKey(r.key)) {
      *error = "invalid label key \"" + r.key + "\"";
      return std::nullopt;
    }
    return r;
  }
  auto set_op = [&](const std::string& word, Requirement::Op op) -> std::optional<Requirement> {
    std::string lower = term;
    auto pos = lower.find(" " + word + " ");
    size_t paren = lower.find('(');
    if (pos == std::string::npos) pos = lower.find(" " + word + "(");
    if (pos == std::string::npos || paren == std::string::npos || lower.back() != ')') return std::nullopt;
    Requirement s;
    s.key = Trim(term.substr(0, pos));
    s.op = op;
    std::string inner = term.substr(paren + 1, term.size() - paren - 2);
    size_t start = 0;
    while (true) {
      size_t comma = inner.find(',', start);
      std::string v = Trim(inner.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      s.values.push_back(v);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return s;
  };
  if (allow_sets) {
    if (auto s = set_op("notin", Requirement::Op::kNotIn)) return s;
    if (auto s = set_op("in", Requirement::Op::kIn)) return s;
  }
  size_t pos;
  if ((pos = term.find("!=")) != std::string::npos) {
    r.op = Requirement::Op::kNotEquals;
    r.key = Trim(term.substr(0, pos));
    r.values = {Trim(term.substr(pos + 2))};
  } else if ((pos = term.find("==")) != std::string::npos) {
    r.key = Trim(term.substr(0, pos));
    r.values = {Trim(term.substr(pos + 2))};
  } else if ((pos = term.find('=')) != std::string::npos) {
    r.key = Trim(term.substr(0, pos));
    r.values = {Trim(term.substr(pos + 1))};
  } else if (allow_sets) {
    r.key = Trim(term);
    r.op = Requirement::Op::kExists;
  } else {
    *error = "invalid selector: '" + term + "'; can't understand '" + term + "'";
    return std::nullopt;
  }
  if (!ValidKey(r.key)) {
    *error = allow_sets ? "invalid label key \"" + r.key + "\"" : "invalid field selector key \"" + r.key + "\"";
    return std::nullopt;
  }
  return r;
}

bool MatchOne(const Requirement& r, const std::optional<std::string>& value) {
  switch (r.op) {
    case Requirement::Op::kEquals: return value && *value == r.values[0];
    case Requirement::Op::kNotEquals: return !value || *value != r.values[0];
    case Requirement::Op::kIn:
      return value && std::find(r.values.begin(), r.values.end(), *value) != r.values.end();
    case Requirement::Op::kNotIn:
      return !value || std::find(r.values.begin(), r.values.end(), *value) == r.values.end();
    case Requirement::Op::kExists: return value.has_value();
    case Requirement::Op::kDoesNotExist: return !value.has_value();
  }
  return false;
}

}  // namespace

std::optional<LabelSelector> LabelSelector::Parse(const std::string& text, std::string* error) {
  LabelSelector s;
  if (Trim(text).empty()) return s;
  for (const auto& term : SplitTerms(text)) {
    auto r = ParseTerm(term, true, error);
    if (!r) return std::nullopt;
    s.reqs_.push_back(*r);
  }
  return s;
}

std::optional<LabelSelector> LabelSelector::FromObject(const json& sel, std::string* error) {
  LabelSelector s;
  if (!sel.is_object()) return s;
  if (auto it = sel.find("matchLabels"); it != sel.end() && it->is_object()) {
    for (auto& [k, v] : it->items()) s.reqs_.push_back({k, Requirement::Op::kEquals, {v.is_string() ? v.get<std::string>() : v.dump()}});
  }
  if (auto it = sel.find("matchExpressions"); it != sel.end() && it->is_array()) {
    for (const auto& e : *it) {
      Requirement r;
      r.key = e.value("key", "");
      std::string op = e.value("operator", "");
      if (op == "In") r.op = Requirement::Op::kIn;
      else if (op == "NotIn") r.op = Requirement::Op::kNotIn;
      else if (op == "Exists") r.op = Requirement::Op::kExists;
      else if (op == "DoesNotExist") r.op = Requirement::Op::kDoesNotExist;
      else {
        *error = "\"" + op + "\" is not a valid label selector operator";
        return std::nullopt;
      }
      if (auto v = e.find("values"); v != e.end() && v->is_array()) {
        for (const auto& x : *v) r.values.push_back(x.is_string() ? x.get<std::string>() : x.dump());
      }
      s.reqs_.push_back(r);
    }
  }
  return s;
}

bool LabelSelector::Matches(const json& labels) const {
  for (const auto& r : reqs_) {
    std::optional<std::string> v;
    if (labels.is_object()) {
      auto it = labels.find(r.key);
      if (it != labels.end() && it->is_string()) v = it->get<std::string>();
    }
    if (!MatchOne(r, v)) return false;
  }
  return true;
}

std::optional<FieldSelector> FieldSelector::Parse(const std::string& text, std::string* error) {
  FieldSelector s;
  if (Trim(text).empty()) return s;
  for (const auto& term : SplitTerms(text)) {
    auto r = ParseTerm(term, false, error);
    if (!r) return std::nullopt;
    s.reqs_.push_back(*r);
  }
  return s;
}

std::string FieldSelector::Unsupported(const std::vector<std::string>& supported) const {
  for (const auto& r : reqs_) {
    if (std::find(supported.begin(), supported.end(), r.key) == supported.end()) return r.key;
  }
  return "";
}

bool FieldSelector::Matches(const std::map<std::string, std::string>& fields) const {
  for (const auto& r : reqs_) {
    auto it = fields.find(r.key);
    std::optional<std::string> v = it == fields.end() ? std::optional<std::string>("") : it->second;
    if (!MatchOne(r, v)) return false;
  }
  return true;
}

std::optional<std::string> FieldSelector::RequiredValue(const std::string& key) const {
  for (const auto& r : reqs_) {
    if (r.key == key && r.op == Requirement::Op::kEquals) return r.values[0];
  }
  return std::nullopt;
}

std::vector<std::string> SupportedFields(const std::string& gr, bool namespaced) {
  std::vector<std::string> f = {"metadata.name"};
  if (namespaced) f.push_back("metadata.namespace");
  if (gr == "pods") {
    for (auto x : {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                   "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"}) {
      f.push_back(x);
    }
  } else if (gr == "events" || gr == "events.events.k8s.io") {
    for (auto x : {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                   "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                   "reason", "reportingComponent", "source", "type"}) {
      f.push_back(x);
    }
  } else if (gr == "secrets") {
    f.push_back("type");
  } else if (gr == "nodes") {
    f.push_back("spec.unschedulable");
  } else if (gr == "namespaces") {
    f.push_back("status.phase");
  } else if (gr == "replicasets.apps" || gr == "replicationcontrollers") {
    f.push_back("status.replicas");
  } else if (gr == "jobs.batch") {
    f.push_back("status.successful");
  }
  return f;
}

namespace {
std::string Scalar(const json& obj, const char* ptr) {
  json::json_pointer p(ptr);
  if (!obj.contains(p)) return "";
  const json& v = obj.at(p);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}
}  // namespace

std::map<std::string, std::string> FieldValues(const std::string& gr, const json& obj) {
  std::map<std::string, std::string> m;
  m["metadata.name"] = Scalar(obj, "/metadata/name");
  m["metadata.namespace"] = Scalar(obj, "/metadata/namespace");
  if (gr == "pods") {
    m["spec.nodeName"] = Scalar(obj, "/spec/nodeName");
    m["spec.restartPolicy"] = Scalar(obj, "/spec/restartPolicy");
    m["spec.schedulerName"] = Scalar(obj, "/spec/schedulerName");
    m["spec.serviceAccountName"] = Scalar(obj, "/spec/serviceAccountName");
    std::string hn = Scalar(obj, "/spec/hostNetwork");
    m["spec.hostNetwork"] = hn.empty() ? "false" : hn;
    m["status.phase"] = Scalar(obj, "/status/phase");
    m["status.podIP"] = Scalar(obj, "/status/podIP");
    m["status.nominatedNodeName"] = Scalar(obj, "/status/nominatedNodeName");
  } else if (gr == "events" || gr == "events.events.k8s.io") {
    const char* base = gr == "events" ? "/involvedObject/" : "/regarding/";
    for (auto k : {"kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"}) {
      m[std::string("involvedObject.") + k] = Scalar(obj, (std::string(base) + k).c_str());
    }
    m["reason"] = Scalar(obj, "/reason");
    m["reportingComponent"] = Scalar(obj, gr == "events" ? "/reportingComponent" : "/reportingController");
    m["source"] = Scalar(obj, "/source/component");
    m["type"] = Scalar(obj, "/type");
  } else if (gr == "secrets") {
    m["type"] = Scalar(obj, "/type");
  } else if (gr == "nodes") {
    std::string u = Scalar(obj, "/spec/unschedulable");
    m["spec.unschedulable"] = u.empty() ? "false" : u;
  } else if (gr == "namespaces") {
    m["status.phase"] = Scalar(obj, "/status/phase");
  } else if (gr == "replicasets.apps") {
    m["status.replicas"] = Scalar(obj, "/status/replicas");
  } else if (gr == "jobs.batch") {
    m["status.successful"] = Scalar(obj, "/status/succeeded");
  }
  return m;
}

}  // namespace tusk::localkube
