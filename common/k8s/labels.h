// Label selectors as the API server understands them, for filtering cached
// objects the same way a server-side list would:
// "a=b,c!=d,e,!f,g in (x,y),h notin (z)".
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/base/status.h"

namespace tusk::k8s {

class LabelSelector {
 public:
  static StatusOr<LabelSelector> Parse(const std::string& text);
  bool Matches(const std::map<std::string, std::string>& labels) const;
  bool empty() const { return terms_.empty(); }

 private:
  struct Term {
    enum class Op { kEquals, kNotEquals, kExists, kNotExists, kIn, kNotIn } op;
    std::string key;
    std::vector<std::string> values;
  };
  std::vector<Term> terms_;
};

}  // namespace tusk::k8s
