// barman's backup.info: one "key=value" line per field, keys sorted, Python
// None as "None", the label as a Python repr. Tusk writes only the keys the
// oldest supported barman (3.0) knows, because an unknown key makes barman
// refuse the whole backup.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/base/status.h"

namespace tusk::backup {

struct BackupInfo {
  std::string backup_id;  // not a key of the file: the directory name
  std::string backup_label;  // the labelfile text (unquoted)
  std::string backup_name;
  uint64_t begin_offset = 0;
  std::string begin_time;  // "2026-11-25 10:53:11.123456+00:00"
  std::string begin_wal;
  std::string begin_xlog;
  std::string config_file, hba_file, ident_file;
  uint64_t end_offset = 0;
  std::string end_time;
  std::string end_wal;
  std::string end_xlog;
  std::string error;
  std::string pgdata;
  std::optional<uint64_t> size;
  std::string status = "STARTED";  // DONE, FAILED, ...
  std::string systemid;
  int timeline = 1;
  int version = 0;
  uint64_t xlog_segment_size = 16u << 20;
  double copy_seconds = 0;
  int workers = 1;
};

std::string RenderBackupInfo(const BackupInfo& info);
// Reads what barman or Tusk wrote; unknown keys are ignored.
StatusOr<BackupInfo> ParseBackupInfo(const std::string& text);

// Python's repr() of a str (single quotes, \n, \\, \' escapes) and back.
std::string PythonRepr(const std::string& s);
std::string PythonUnrepr(const std::string& s);

// "2026-11-25 10:53:11.123456+00:00" (barman's str(datetime)) <-> time.
std::string PythonTime(std::chrono::system_clock::time_point t);
StatusOr<std::chrono::system_clock::time_point> ParseTimestamp(const std::string& text);

}  // namespace tusk::backup
