// CustomResource handling against a CRD's structural openAPIV3Schema, in the
// order kube-apiserver applies it: non-nullable nulls dropped, defaults
// (nested ones inside defaulted or present parents), pruning of unknown
// fields, then validation with Kubernetes' field-error wording: types,
// int-or-string, enums, bounds, patterns, lengths, list-set and list-map
// uniqueness. CEL rules (x-kubernetes-validations) are not evaluated. Pure.
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
