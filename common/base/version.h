// The version every Tusk binary reports (--version, status, User-Agent).
#pragma once

#include <string_view>

namespace tusk {
std::string_view Version();
}  // namespace tusk
