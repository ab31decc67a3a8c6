#include "common/api/backup.h"

#include <sstream>

namespace tusk::api {
namespace {

const std::vector<std::string> kMethods = {"barmanObjectStore", "volumeSnapshot", "plugin"};
const std::vector<std::string> kTargets = {"primary", "prefer-standby"};

bool OneOf(const std::string& v, const std::vector<std::string>& allowed) {
  for (const auto& a : allowed) {
    if (a == v) return true;
  }
  return false;
}

void CheckCommon(FieldErrors& errs, const std::optional<std::string>& cluster, const std::optional<std::string>& target,
                 const std::optional<std::string>& method, const std::optional<std::string>& plugin) {
  if (!cluster || cluster->empty()) errs.Required("spec.cluster.name");
  if (target && !target->empty() && !OneOf(*target, kTargets)) errs.NotSupported("spec.target", *target, kTargets);
  if (method && !OneOf(*method, kMethods)) errs.NotSupported("spec.method", *method, kMethods);
  if (method && *method == "plugin" && !plugin) {
    errs.Required("spec.pluginConfiguration", "the plugin method requires a pluginConfiguration");
  }
}

}  // namespace

StatusOr<Backup> BackupFromJson(const Json& doc) { return ParseResource<Backup>(doc); }
Json ToJson(const Backup& backup) { return SerializeResource(backup); }

void ApplyDefaults(Backup* backup) { Default(backup->spec.method, "barmanObjectStore"); }

FieldErrors Validate(const Backup& backup) {
  FieldErrors errs;
  const auto& s = backup.spec;
  CheckCommon(errs, s.cluster, s.target, s.method, s.plugin_name);
  bool snapshot = s.method.value_or("barmanObjectStore") == "volumeSnapshot";
  if (!snapshot && s.online.has_value()) {
    errs.Invalid("spec.online", *s.online, "Online parameter can be specified only if the backup method is volumeSnapshot");
  }
  if (!snapshot && (s.wait_for_archive || s.immediate_checkpoint)) {
    errs.Invalid("spec.onlineConfiguration", "object",
                 "OnlineConfiguration parameter can be specified only if the backup method is volumeSnapshot");
  }
  return errs;
}

StatusOr<ScheduledBackup> ScheduledBackupFromJson(const Json& doc) { return ParseResource<ScheduledBackup>(doc); }
Json ToJson(const ScheduledBackup& backup) { return SerializeResource(backup); }

void ApplyDefaults(ScheduledBackup* backup) {
  Default(backup->spec.method, "barmanObjectStore");
  Default(backup->spec.backup_owner_reference, "none");
}

FieldErrors Validate(const ScheduledBackup& backup) {
  FieldErrors errs;
  const auto& s = backup.spec;
  CheckCommon(errs, s.cluster, s.target, s.method, s.plugin_name);
  if (!s.schedule || s.schedule->empty()) {
    errs.Required("spec.schedule");
  } else {
    // CloudNativePG schedules carry seconds: six fields.
    std::istringstream in(*s.schedule);
    std::string field;
    int fields = 0;
    while (in >> field) ++fields;
    if (fields != 6 && s.schedule->front() != '@') {
      errs.Invalid("spec.schedule", *s.schedule,
                   "schedule must have 6 fields (seconds minutes hours day-of-month month day-of-week)");
    }
  }
  if (s.backup_owner_reference) {
    const std::vector<std::string> refs = {"none", "self", "cluster"};
    if (!OneOf(*s.backup_owner_reference, refs)) {
      errs.NotSupported("spec.backupOwnerReference", *s.backup_owner_reference, refs);
    }
  }
  return errs;
}

}  // namespace tusk::api
