#include "common/k8s/labels.h"

#include <algorithm>

namespace tusk::k8s {
namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

// Splits on commas outside parentheses.
std::vector<std::string> SplitTerms(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

}  // namespace

StatusOr<LabelSelector> LabelSelector::Parse(const std::string& text) {
  LabelSelector sel;
  if (Trim(text).empty()) return sel;
  for (const std::string& raw : SplitTerms(text)) {
    std::string t = Trim(raw);
    if (t.empty()) return InvalidArgumentError("empty term in label selector \"" + text + "\"");
    Term term;
    size_t pos;
    if (t[0] == '!') {
      term.op = Term::Op::kNotExists;
      term.key = Trim(t.substr(1));
    } else if ((pos = t.find(" notin ")) != std::string::npos || (pos = t.find(" in ")) != std::string::npos) {
      bool notin = t.compare(pos, 7, " notin ") == 0;
      term.op = notin ? Term::Op::kNotIn : Term::Op::kIn;
      term.key = Trim(t.substr(0, pos));
      std::string rest = Trim(t.substr(pos + (notin ? 7 : 4)));
      if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')') {
        return InvalidArgumentError("label selector \"" + text + "\": expected (values) after in/notin");
      }
      for (const std::string& v : SplitTerms(rest.substr(1, rest.size() - 2))) term.values.push_back(Trim(v));
    } else if ((pos = t.find("!=")) != std::string::npos) {
      term.op = Term::Op::kNotEquals;
      term.key = Trim(t.substr(0, pos));
      term.values = {Trim(t.substr(pos + 2))};
    } else if ((pos = t.find("==")) != std::string::npos) {
      term.op = Term::Op::kEquals;
      term.key = Trim(t.substr(0, pos));
      term.values = {Trim(t.substr(pos + 2))};
    } else if ((pos = t.find('=')) != std::string::npos) {
      term.op = Term::Op::kEquals;
      term.key = Trim(t.substr(0, pos));
      term.values = {Trim(t.substr(pos + 1))};
    } else {
      term.op = Term::Op::kExists;
      term.key = t;
    }
    if (term.key.empty()) return InvalidArgumentError("label selector \"" + text + "\": empty key");
    sel.terms_.push_back(std::move(term));
  }
  return sel;
}

bool LabelSelector::Matches(const std::map<std::string, std::string>& labels) const {
  for (const Term& t : terms_) {
    auto it = labels.find(t.key);
    bool has = it != labels.end();
    bool in = has && std::find(t.values.begin(), t.values.end(), it->second) != t.values.end();
    switch (t.op) {
      case Term::Op::kEquals:
      case Term::Op::kIn:
        if (!in) return false;
        break;
      case Term::Op::kNotEquals:
      case Term::Op::kNotIn:
        if (in) return false;
        break;
      case Term::Op::kExists:
        if (!has) return false;
        break;
      case Term::Op::kNotExists:
        if (has) return false;
        break;
    }
  }
  return true;
}

}  // namespace tusk::k8s
