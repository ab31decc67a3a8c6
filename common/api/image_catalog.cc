#include "common/api/image_catalog.h"

#include <set>

namespace tusk::api {
namespace {

template <typename C>
FieldErrors ValidateCatalog(const C& c) {
  FieldErrors errs;
  if (!c.metadata.name) errs.Required("metadata.name");
  if (!c.images || c.images->empty()) {
    errs.Required("spec.images");
    return errs;
  }
  if (c.images->size() > 8) errs.Invalid("spec.images", c.images->size(), "must have at most 8 items");
  std::set<int64_t> majors;
  for (size_t i = 0; i < c.images->size(); ++i) {
    const auto& img = (*c.images)[i];
    const std::string at = "spec.images[" + std::to_string(i) + "]";
    if (!img.major) {
      errs.Required(at + ".major");
    } else if (*img.major < 10) {
      errs.Invalid(at + ".major", *img.major, "should be greater than or equal to 10");
    } else if (!majors.insert(*img.major).second) {
      errs.Invalid(at + ".major", *img.major, "images must have unique major versions");
    }
    if (!img.image || img.image->empty()) errs.Required(at + ".image");
  }
  if (c.component_images) {
    if (c.component_images->size() > 32) {
      errs.Invalid("spec.componentImages", c.component_images->size(), "must have at most 32 items");
    }
    std::set<std::string> keys;
    for (size_t i = 0; i < c.component_images->size(); ++i) {
      const auto& ci = (*c.component_images)[i];
      const std::string at = "spec.componentImages[" + std::to_string(i) + "]";
      if (!ci.key) {
        errs.Required(at + ".key");
      } else if (!keys.insert(*ci.key).second) {
        errs.Invalid(at + ".key", *ci.key, "component image keys must be unique");
      }
      if (!ci.image) errs.Required(at + ".image");
    }
  }
  return errs;
}

}  // namespace

StatusOr<ImageCatalog> ImageCatalogFromJson(const Json& doc) { return ParseResource<ImageCatalog>(doc); }
StatusOr<ClusterImageCatalog> ClusterImageCatalogFromJson(const Json& doc) {
  return ParseResource<ClusterImageCatalog>(doc);
}
Json ToJson(const ImageCatalog& catalog) { return SerializeResource(catalog); }
Json ToJson(const ClusterImageCatalog& catalog) { return SerializeResource(catalog); }
FieldErrors Validate(const ImageCatalog& catalog) { return ValidateCatalog(catalog); }
FieldErrors Validate(const ClusterImageCatalog& catalog) { return ValidateCatalog(catalog); }

}  // namespace tusk::api
