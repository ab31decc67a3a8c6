// CustomResource handling against a CRD's structural openAPIV3Schema, in the
// order kube-apiserver applies it: defaults, pruning of unknown fields, then
// validation with Kubernetes' field-error wording. Pure.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test/localkube/apiserver/errors.h"

namespace tusk::localkube {

struct SchemaOutcome {
  std::vector<FieldError> errors;
  std::vector<std::string> pruned;  // "spec.foo": unknown fields that were dropped
};

// Defaults, prunes and validates `object` (a whole custom resource) in place.
// apiVersion, kind and metadata are left to the caller.
SchemaOutcome ApplySchema(json& object, const json& schema);

}  // namespace tusk::localkube
