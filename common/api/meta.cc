#include "common/api/meta.h"

namespace tusk::api {

bool IsDnsLabel(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (alnum) continue;
    if (c == '-' && i != 0 && i + 1 != s.size()) continue;
    return false;
  }
  return true;
}

}  // namespace tusk::api
