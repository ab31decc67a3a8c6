#include "common/base/version.h"

namespace tusk {
std::string_view Version() { return TUSK_VERSION; }
}  // namespace tusk
