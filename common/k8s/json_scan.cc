#include "common/k8s/json_scan.h"

namespace tusk::k8s {
namespace {

size_t SkipSpace(std::string_view t, size_t i) {
  while (i < t.size() && (t[i] == ' ' || t[i] == '\n' || t[i] == '\r' || t[i] == '\t')) ++i;
  return i;
}

// Index just past the string starting at t[i] == '"'.
size_t SkipString(std::string_view t, size_t i) {
  for (++i; i < t.size(); ++i) {
    if (t[i] == '\\') {
      ++i;
    } else if (t[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// Index just past the value starting at t[i].
size_t SkipValue(std::string_view t, size_t i) {
  if (i >= t.size()) return std::string_view::npos;
  if (t[i] == '"') return SkipString(t, i);
  if (t[i] == '{' || t[i] == '[') {
    int depth = 0;
    for (; i < t.size(); ++i) {
      char c = t[i];
      if (c == '"') {
        i = SkipString(t, i);
        if (i == std::string_view::npos) return i;
        --i;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) return i + 1;
      }
    }
    return std::string_view::npos;
  }
  while (i < t.size() && t[i] != ',' && t[i] != '}' && t[i] != ']' && t[i] != ' ' && t[i] != '\n') ++i;
  return i;
}

}  // namespace

std::string_view TopLevelMember(std::string_view t, std::string_view key) {
  size_t i = SkipSpace(t, 0);
  if (i >= t.size() || t[i] != '{') return {};
  ++i;
  while (true) {
    i = SkipSpace(t, i);
    if (i >= t.size() || t[i] != '"') return {};
    size_t key_end = SkipString(t, i);
    if (key_end == std::string_view::npos) return {};
    std::string_view k = t.substr(i + 1, key_end - i - 2);
    i = SkipSpace(t, key_end);
    if (i >= t.size() || t[i] != ':') return {};
    i = SkipSpace(t, i + 1);
    size_t value_end = SkipValue(t, i);
    if (value_end == std::string_view::npos) return {};
    if (k == key) return t.substr(i, value_end - i);
    i = SkipSpace(t, value_end);
    if (i >= t.size() || t[i] != ',') return {};
    ++i;
  }
}

std::string_view UnquotedMember(std::string_view text, std::string_view key) {
  std::string_view v = TopLevelMember(text, key);
  if (v.size() < 2 || v.front() != '"') return {};
  return v.substr(1, v.size() - 2);
}

}  // namespace tusk::k8s
