// The enumerations, patterns and limits of CloudNativePG's API that both the
// CRD schemas (common/api/schema) and the admission checks (common/api's
// Validate) enforce, written once so the two can never disagree.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tusk::api::schema {

// Cluster
inline constexpr std::array<std::string_view, 2> kPrimaryUpdateStrategies = {"unsupervised", "supervised"};
inline constexpr std::array<std::string_view, 2> kPrimaryUpdateMethods = {"switchover", "restart"};
inline constexpr std::array<std::string_view, 5> kLogLevels = {"error", "warning", "info", "debug", "trace"};
inline constexpr std::array<std::string_view, 2> kBackupTargets = {"primary", "prefer-standby"};
// The empty string is CloudNativePG's "use the default" for both.
inline constexpr std::array<std::string_view, 4> kImagePullPolicies = {"Always", "Never", "IfNotPresent", ""};
inline constexpr std::array<std::string_view, 3> kPodAntiAffinityTypes = {"preferred", "required", ""};
inline constexpr std::array<std::string_view, 2> kSynchronousMethods = {"any", "first"};
inline constexpr std::array<std::string_view, 2> kDataDurabilities = {"required", "preferred"};
inline constexpr std::array<std::string_view, 2> kImportTypes = {"microservice", "monolith"};
inline constexpr std::array<std::string_view, 2> kLdapSchemes = {"ldap", "ldaps"};
inline constexpr std::array<std::string_view, 3> kProbeTypes = {"pg_isready", "streaming", "query"};
inline constexpr std::array<std::string_view, 2> kEnsureOptions = {"present", "absent"};
inline constexpr std::array<std::string_view, 3> kServiceSelectorTypes = {"rw", "r", "ro"};
inline constexpr std::array<std::string_view, 2> kServiceUpdateStrategies = {"patch", "replace"};
inline constexpr std::array<std::string_view, 3> kSnapshotOwnerReferences = {"none", "cluster", "backup"};

// Object stores (barmanObjectStore and the ObjectStore kind)
// WAL and base backups take the same list (barman-cloud 3.12 and later).
inline constexpr std::array<std::string_view, 6> kCompressions = {"bzip2", "gzip", "lz4", "snappy", "xz", "zstd"};
inline constexpr std::array<std::string_view, 2> kEncryptions = {"AES256", "aws:kms"};

// Backup, ScheduledBackup
inline constexpr std::array<std::string_view, 3> kBackupMethods = {"barmanObjectStore", "volumeSnapshot", "plugin"};
inline constexpr std::array<std::string_view, 3> kBackupOwnerReferences = {"none", "self", "cluster"};

// Pooler
inline constexpr std::array<std::string_view, 3> kPoolerTypes = {"rw", "ro", "r"};
inline constexpr std::array<std::string_view, 2> kPoolModes = {"session", "transaction"};

// Database, Publication, Subscription
inline constexpr std::array<std::string_view, 2> kReclaimPolicies = {"delete", "retain"};
inline constexpr std::array<std::string_view, 2> kUsageTypes = {"grant", "revoke"};

inline constexpr std::string_view kRetentionPolicyPattern = "^[1-9][0-9]*[dwm]$";
inline constexpr std::string_view kSlotPrefixPattern = "^[0-9a-z_]*$";
inline constexpr std::string_view kExtensionNamePattern = "^[a-z0-9]([-a-z0-9_]*[a-z0-9])?$";
inline constexpr std::string_view kPodSelectorNamePattern = "^[a-z]([a-z0-9_-]*[a-z0-9])?$";
inline constexpr std::string_view kDnsLabelPattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
// resource.Quantity as kube-apiserver's own schemas spell it.
inline constexpr std::string_view kQuantityPattern =
    "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$";

inline constexpr int64_t kMinInstances = 1;
inline constexpr int64_t kMinSyncReplicas = 0;
inline constexpr int64_t kMinUpdateInterval = 1;
inline constexpr int64_t kMinLeaseSeconds = 1;
inline constexpr int64_t kMinWalSegmentSize = 1;
inline constexpr int64_t kMaxWalSegmentSize = 1024;
inline constexpr int64_t kMinCatalogMajor = 10;

// The form common/api's CheckEnum takes.
template <size_t N>
std::vector<std::string> Strings(const std::array<std::string_view, N>& values) {
  return {values.begin(), values.end()};
}

}  // namespace tusk::api::schema
