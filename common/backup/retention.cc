#include "common/backup/retention.h"

#include <algorithm>
#include <charconv>

namespace tusk::backup {

StatusOr<std::chrono::seconds> ParseRetentionPolicy(const std::string& policy) {
  if (policy.size() < 2) return InvalidArgumentError("retention policy '" + policy + "' must look like 30d, 4w or 3m");
  char unit = policy.back();
  std::string_view digits = std::string_view(policy).substr(0, policy.size() - 1);
  long n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec == std::errc::invalid_argument || end != digits.data() + digits.size() || digits[0] == '-') {
    return InvalidArgumentError("retention policy '" + policy + "' must look like 30d, 4w or 3m");
  }
  // Bounded so the window in seconds cannot overflow (100000 months is
  // about 8500 years).
  if (ec == std::errc::result_out_of_range || n > 100000) {
    return InvalidArgumentError("retention policy '" + policy + "' is longer than any backup will be kept");
  }
  if (n <= 0) return InvalidArgumentError("retention policy must be positive");
  const long day = 86400;
  switch (unit) {
    case 'd': return std::chrono::seconds(n * day);
    case 'w': return std::chrono::seconds(n * 7 * day);
    case 'm': return std::chrono::seconds(n * 31 * day);
    default: return InvalidArgumentError("retention policy unit must be d, w or m (got '" + policy + "')");
  }
}

RetentionPlan PlanRetention(const std::vector<BackupInfo>& all, const std::vector<std::string>& wal_keys,
                            std::chrono::system_clock::time_point now, std::chrono::seconds window) {
  RetentionPlan plan;
  std::vector<BackupInfo> done;
  for (const auto& b : all) {
    if (b.status == "DONE") done.push_back(b);
  }
  std::sort(done.begin(), done.end(), [](const auto& a, const auto& b) { return a.backup_id < b.backup_id; });
  if (done.empty()) return plan;  // nothing can be recovered: delete nothing
  const auto horizon = now - window;
  // The newest backup that ended before the horizon stays: recovering to the
  // window's start needs it. Everything older goes.
  size_t oldest_kept = 0;
  for (size_t i = 0; i < done.size(); ++i) {
    auto end = ParseTimestamp(done[i].end_time);
    if (end.ok() && *end < horizon) oldest_kept = i;
  }
  const std::string keep_id = done[oldest_kept].backup_id;
  plan.first_recoverable_wal = done[oldest_kept].begin_wal;
  for (const auto& b : all) {
    if (b.backup_id < keep_id) plan.delete_backups.push_back(b.backup_id);
  }
  for (const auto& key : wal_keys) {
    auto parsed = ParseWalObjectKey(key);
    if (!parsed || IsHistoryFileName(parsed->wal_name)) continue;  // timelines' history is tiny and always needed
    if (parsed->wal_name.substr(0, 24) < plan.first_recoverable_wal) plan.delete_wal_keys.push_back(key);
  }
  return plan;
}

StatusOr<RetentionPlan> ApplyRetention(s3::ObjectStore* store, const Layout& layout, const std::string& policy,
                                       std::chrono::system_clock::time_point now) {
  ASSIGN_OR_RETURN(auto window, ParseRetentionPolicy(policy));
  ASSIGN_OR_RETURN(auto dirs, store->List(layout.BasePrefix(), "/"));
  std::vector<BackupInfo> backups;
  for (const auto& prefix : dirs.common_prefixes) {
    auto id = layout.BackupIdOf(prefix);
    if (!id) continue;
    auto text = store->Get(layout.BackupInfoKey(*id));
    if (!text.ok()) continue;
    auto info = ParseBackupInfo(*text);
    if (!info.ok()) continue;
    info->backup_id = *id;
    backups.push_back(*info);
  }
  ASSIGN_OR_RETURN(auto wals, store->List(layout.WalsPrefix()));
  std::vector<std::string> wal_keys;
  for (const auto& o : wals.objects) wal_keys.push_back(o.key);
  RetentionPlan plan = PlanRetention(backups, wal_keys, now, window);
  for (const auto& id : plan.delete_backups) {
    // backup.info first: a half-deleted backup must not look restorable.
    RETURN_IF_ERROR(store->Delete(layout.BackupInfoKey(id)));
    ASSIGN_OR_RETURN(auto files, store->List(layout.BackupPrefix(id)));
    for (const auto& f : files.objects) RETURN_IF_ERROR(store->Delete(f.key));
  }
  for (const auto& key : plan.delete_wal_keys) RETURN_IF_ERROR(store->Delete(key));
  return plan;
}

}  // namespace tusk::backup
