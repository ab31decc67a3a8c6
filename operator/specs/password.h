// Passwords for the Secrets the operator generates (app, superuser) in
// CloudNativePG's shape: 64 characters, letters and exactly 10 digits, no
// symbols, so they need no quoting in a URI, a .pgpass line or a shell.
#pragma once

#include <cstddef>
#include <string>

#include "common/base/status.h"
#include "common/tls/random.h"

namespace tusk::op::specs {

inline constexpr size_t kPasswordLength = 64;
inline constexpr size_t kPasswordDigits = 10;

// Every character and every digit position is drawn uniformly from `random`
// (rejection sampling, no modulo bias). Fails if the source fails, or if it
// yields nothing usable for a long run of bytes.
StatusOr<std::string> GeneratePassword(tls::RandomSource& random);

}  // namespace tusk::op::specs
