// postgresql.cnpg.io/v1 ImageCatalog (namespaced) and ClusterImageCatalog
// (cluster-scoped): one PostgreSQL image per major version.
#pragma once

#include "common/api/meta.h"

namespace tusk::api {

struct CatalogImage {
  std::optional<int64_t> major;
  std::optional<std::string> image;
  template <typename V, typename Self>
  static void Visit(V& v, Self& i) {
    v("/major", i.major);
    v("/image", i.image);
  }
};

struct ComponentImage {
  std::optional<std::string> key, image;
  template <typename V, typename Self>
  static void Visit(V& v, Self& i) {
    v("/key", i.key);
    v("/image", i.image);
  }
};

template <const char* Kind>
struct ImageCatalogOf {
  static constexpr char kApiVersion[] = "postgresql.cnpg.io/v1";
  static constexpr const char* kKind = Kind;

  ObjectMeta metadata;
  std::optional<std::vector<CatalogImage>> images;
  std::optional<std::vector<ComponentImage>> component_images;
  Json raw;

  template <typename V, typename Self>
  static void Visit(V& v, Self& c) {
    v("/spec/images", c.images);
    v("/spec/componentImages", c.component_images);
  }

  // The image for a PostgreSQL major version, if the catalog has one.
  std::optional<std::string> ImageFor(int64_t major) const {
    if (!images) return std::nullopt;
    for (const auto& i : *images) {
      if (i.major == major) return i.image;
    }
    return std::nullopt;
  }
};

inline constexpr char kImageCatalogKind[] = "ImageCatalog";
inline constexpr char kClusterImageCatalogKind[] = "ClusterImageCatalog";
using ImageCatalog = ImageCatalogOf<kImageCatalogKind>;
using ClusterImageCatalog = ImageCatalogOf<kClusterImageCatalogKind>;

StatusOr<ImageCatalog> ImageCatalogFromJson(const Json& doc);
StatusOr<ClusterImageCatalog> ClusterImageCatalogFromJson(const Json& doc);
Json ToJson(const ImageCatalog& catalog);
Json ToJson(const ClusterImageCatalog& catalog);
FieldErrors Validate(const ImageCatalog& catalog);
FieldErrors Validate(const ClusterImageCatalog& catalog);

}  // namespace tusk::api
