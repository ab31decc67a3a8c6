#include "common/k8s/labels.h"

#include <algorithm>
#include <cctype>

namespace tusk::k8s {
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

StatusOr<Requirement> ParseTerm(const std::string& term, bool allow_sets) {
  Requirement r;
  if (term.empty()) return InvalidArgumentError("found '', expected: identifier");
  if (allow_sets && term[0] == '!') {
    r.key = Trim(term.substr(1));
    r.op = Requirement::Op::kDoesNotExist;
    if (!ValidKey(r.key)) return InvalidArgumentError("invalid label key \"" + r.key + "\"");
    return r;
  }
  auto set_op = [&](const std::string& word, Requirement::Op op) -> std::optional<Requirement> {
    auto pos = term.find(" " + word + " ");
    size_t paren = term.find('(');
    if (pos == std::string::npos) pos = term.find(" " + word + "(");
    if (pos == std::string::npos || paren == std::string::npos || term.back() != ')') return std::nullopt;
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
    if (auto s = set_op("notin", Requirement::Op::kNotIn)) return *s;
    if (auto s = set_op("in", Requirement::Op::kIn)) return *s;
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
    return InvalidArgumentError("invalid selector: '" + term + "'; can't understand '" + term + "'");
  }
  if (!ValidKey(r.key)) {
    return InvalidArgumentError(allow_sets ? "invalid label key \"" + r.key + "\""
                                           : "invalid field selector key \"" + r.key + "\"");
  }
  return r;
}

}  // namespace

StatusOr<std::vector<Requirement>> ParseRequirements(const std::string& text, bool allow_sets) {
  std::vector<Requirement> reqs;
  if (Trim(text).empty()) return reqs;
  for (const auto& term : SplitTerms(text)) {
    ASSIGN_OR_RETURN(Requirement r, ParseTerm(term, allow_sets));
    reqs.push_back(std::move(r));
  }
  return reqs;
}

bool RequirementMatches(const Requirement& r, const std::optional<std::string>& value) {
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

StatusOr<LabelSelector> LabelSelector::Parse(const std::string& text) {
  LabelSelector s;
  ASSIGN_OR_RETURN(s.reqs_, ParseRequirements(text, true));
  return s;
}

StatusOr<LabelSelector> LabelSelector::FromObject(const nlohmann::json& sel) {
  LabelSelector s;
  if (!sel.is_object()) return s;
  if (auto it = sel.find("matchLabels"); it != sel.end() && it->is_object()) {
    for (auto& [k, v] : it->items()) {
      s.reqs_.push_back({k, Requirement::Op::kEquals, {v.is_string() ? v.get<std::string>() : v.dump()}});
    }
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
      else return InvalidArgumentError("\"" + op + "\" is not a valid label selector operator");
      if (auto v = e.find("values"); v != e.end() && v->is_array()) {
        for (const auto& x : *v) r.values.push_back(x.is_string() ? x.get<std::string>() : x.dump());
      }
      s.reqs_.push_back(std::move(r));
    }
  }
  return s;
}

bool LabelSelector::Matches(const std::map<std::string, std::string>& labels) const {
  for (const auto& r : reqs_) {
    auto it = labels.find(r.key);
    if (!RequirementMatches(r, it == labels.end() ? std::nullopt : std::optional<std::string>(it->second))) {
      return false;
    }
  }
  return true;
}

bool LabelSelector::Matches(const nlohmann::json& labels) const {
  for (const auto& r : reqs_) {
    std::optional<std::string> v;
    if (labels.is_object()) {
      auto it = labels.find(r.key);
      if (it != labels.end() && it->is_string()) v = it->get<std::string>();
    }
    if (!RequirementMatches(r, v)) return false;
  }
  return true;
}

}  // namespace tusk::k8s
