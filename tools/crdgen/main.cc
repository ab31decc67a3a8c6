// tusk-crdgen: writes manifests/operator.yaml (the CRDs from
// common/api/schema, RBAC and the operator Deployment), or checks that a
// checked-in copy is current.
#include <iostream>
#include <string>

#include "common/base/cli.h"
#include "common/base/files.h"
#include "common/base/version.h"
#include "tools/crdgen/manifest.h"

namespace {

constexpr char kUsage[] = R"(Usage: tusk-crdgen [--out FILE | --check FILE | --stats]

Prints the manifest that installs Tusk (CRDs, RBAC, operator Deployment).
  --out FILE    write it to FILE instead
  --check FILE  exit 1 unless FILE holds exactly what would be written
  --stats       per kind, the fields its schema spells out and leaves open
)";

}  // namespace

int main(int argc, char** argv) {
  if (auto rc = tusk::HandleStandardFlags("tusk-crdgen", kUsage, argc, argv)) return *rc;
  const std::string mode = argc > 1 ? argv[1] : "";
  if ((mode == "--out" || mode == "--check") != (argc == 3) || (mode == "--stats" && argc != 2) ||
      (!mode.empty() && mode != "--out" && mode != "--check" && mode != "--stats")) {
    std::cerr << kUsage;
    return 2;
  }
  if (mode == "--stats") {
    std::cout << tusk::crdgen::FieldStats();
    return 0;
  }
  tusk::crdgen::InstallOptions options;
  options.version = std::string(tusk::Version());
  const std::string manifest = tusk::crdgen::RenderManifest(options);
  if (mode.empty()) {
    std::cout << manifest;
    return 0;
  }
  const std::string path = argv[2];
  if (mode == "--out") {
    if (auto s = tusk::WriteFileAtomic(path, manifest); !s.ok()) {
      std::cerr << "tusk-crdgen: " << s.message() << "\n";
      return 1;
    }
    return 0;
  }
  auto checked_in = tusk::ReadFile(path);
  if (!checked_in.ok()) {
    std::cerr << "tusk-crdgen: " << checked_in.status().message() << "\n";
    return 1;
  }
  if (auto s = tusk::crdgen::CompareManifest(path, *checked_in, manifest); !s.ok()) {
    std::cerr << s.message() << "\n";
    return 1;
  }
  return 0;
}
