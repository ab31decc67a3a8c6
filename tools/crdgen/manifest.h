// The text of manifests/operator.yaml, and the check that a checked-in copy
// still equals it.
#pragma once

#include <string>

#include "common/base/status.h"
#include "tools/crdgen/install.h"

namespace tusk::crdgen {

std::string RenderManifest(const InstallOptions& options);

// OK when `checked_in` equals `generated`; otherwise FailedPrecondition
// naming `path`, the command that regenerates it, and the first line that
// differs.
Status CompareManifest(const std::string& path, const std::string& checked_in, const std::string& generated);

// One JSON line per kind: how many fields its schema spells out and how many
// it leaves to x-kubernetes-preserve-unknown-fields.
std::string FieldStats();

}  // namespace tusk::crdgen
