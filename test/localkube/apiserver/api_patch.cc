// Api::Patch: JSON merge, JSON and strategic merge patches and server-side
// apply, each turned into the update (or, for apply, the create) it means.
#include "test/localkube/apiserver/api.h"
#include "test/localkube/apiserver/meta_util.h"
#include "test/localkube/apiserver/patch.h"

namespace tusk::localkube {

std::optional<PatchType> PatchTypeFromContentType(const std::string& ct) {
  std::string base = ct.substr(0, ct.find(';'));
  if (base == "application/json-patch+json") return PatchType::kJson;
  if (base == "application/merge-patch+json") return PatchType::kMerge;
  if (base == "application/strategic-merge-patch+json") return PatchType::kStrategic;
  if (base == "application/apply-patch+yaml") return PatchType::kApply;
  return std::nullopt;
}

ApiOr<WriteOutcome> Api::Patch(const std::string& gr, const std::string& ns, const std::string& name, PatchType type,
                               const std::string& body, const WriteOptions& opts, const std::string& subresource) {
  auto r = Resolve(gr);
  if (!r || !r->stored) return ResourceNotFound();
  if (!subresource.empty() && !r->has_sub(subresource)) return ResourceNotFound();
  if (type == PatchType::kStrategic && r->crd) {
    return UnsupportedMediaType({"application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"});
  }
  json patch = json::parse(body, nullptr, false);
  if (patch.is_discarded()) return BadRequest("error decoding patch: invalid character in patch body");
  if (type == PatchType::kApply && opts.field_manager.empty()) {
    return Invalid("meta.k8s.io", "PatchOptions", "", {RequiredField("fieldManager", "is required for apply patch")});
  }
  std::vector<std::string> warnings;
  bool deleted = false;
  // Checked outside the store's lock; only an apply that creates needs it.
  ApiOr<bool> ns_ok = type == PatchType::kApply ? CheckNamespace(*r, ns) : ApiOr<bool>(true);
  auto out = Write(*r, ns, name, opts.dry_run, [&](const json* cur) -> ApiOr<Mutation> {
    if (!cur) {
      if (type != PatchType::kApply || !subresource.empty()) return NotFound(r->group, r->resource, name);
      json obj = patch;
      auto common = ValidateCommon(*r, ns, obj, true);
      if (!common.ok()) return common.error();
      if (common->get<std::string>() != name) {
        return BadRequest("the name of the object (" + common->get<std::string>() + ") does not match the name on the URL (" + name + ")");
      }
      if (!ns_ok.ok()) return ns_ok.error();
      ApplyResult applied = ServerSideApply(nullptr, obj, opts.field_manager, opts.force, NowRfc3339());
      return DecideCreate(*r, ns, applied.object, opts, &warnings, nullptr);
    }
    std::string error;
    json patched;
    switch (type) {
      case PatchType::kMerge: patched = ApplyMergePatch(*cur, patch); break;
      case PatchType::kJson: {
        auto p = ApplyJsonPatch(*cur, patch, &error);
        if (!p) return ApiError{422, "Invalid", "the server rejected our request due to an error in our request: " + error};
        patched = *p;
        break;
      }
      case PatchType::kStrategic: {
        auto p = ApplyStrategicMergePatch(*cur, patch, &error);
        if (!p) return BadRequest(error);
        patched = *p;
        break;
      }
      case PatchType::kApply: {
        json config = patch;
        if (!config.is_object()) return BadRequest("the body of an apply patch must be an object");
        std::string kind = config.value("kind", "");
        if (!kind.empty() && kind != r->kind) {
          return BadRequest("the kind in the data (" + kind + ") does not match the expected kind (" + r->kind + ")");
        }
        ApplyResult applied = ServerSideApply(*cur, config, opts.field_manager, opts.force, NowRfc3339());
        if (!applied.conflicts.empty()) {
          std::string msg = "Apply failed with " + std::to_string(applied.conflicts.size()) +
                            (applied.conflicts.size() == 1 ? " conflict: " : " conflicts: ");
          ApiError e{409, "Conflict", ""};
          json causes = json::array();
          for (size_t i = 0; i < applied.conflicts.size(); ++i) {
            msg += (i ? "\n" : "") + applied.conflicts[i];
            auto colon = applied.conflicts[i].rfind(": ");
            causes.push_back({{"reason", "FieldManagerConflict"}, {"message", applied.conflicts[i].substr(0, colon)},
                              {"field", applied.conflicts[i].substr(colon + 2)}});
          }
          e.message = msg;
          e.details["causes"] = causes;
          return e;
        }
        patched = applied.object;
        patched["metadata"]["resourceVersion"] = (*cur)["metadata"].value("resourceVersion", "");
        break;
      }
    }
    return DecideUpdate(*r, ns, name, patched, *cur, opts, subresource, &warnings);
  }, &deleted);
  if (out.ok()) out->warnings = warnings;
  return out;
}

}  // namespace tusk::localkube
