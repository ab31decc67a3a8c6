#include "common/backup/backup_info.h"

#include "common/backup/layout.h"
#include "common/base/clock.h"

#include <cctype>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <sstream>

namespace tusk::backup {
namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::string OrNone(const std::string& s) { return s.empty() ? "None" : s; }

// A whole decimal field of the file; an error names the key, so a damaged
// backup.info is reported rather than read as zeros.
template <typename T>
StatusOr<T> Number(std::string_view key, std::string_view text) {
  T v{};
  if (!text.empty() && text[0] == '-') return DataLossError("backup.info: " + std::string(key) + " is negative");
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return DataLossError("backup.info: " + std::string(key) + "=" + std::string(text.substr(0, 40)) +
                         " is not a number in range");
  }
  return v;
}
std::string NoneToEmpty(const std::string& s) { return s == "None" ? "" : s; }

}  // namespace

std::string PythonRepr(const std::string& s) {
  std::string out = "'";
  for (unsigned char c : s) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\'': out += "\\'"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out + "'";
}

std::string PythonUnrepr(const std::string& s) {
  if (s.size() < 2 || (s.front() != '\'' && s.front() != '"') || s.back() != s.front()) return s;
  std::string out;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i] != '\\' || i + 2 >= s.size()) {
      out.push_back(s[i]);
      continue;
    }
    char n = s[++i];
    switch (n) {
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'x': {
        // Both hex digits must come before the closing quote; anything else
        // is kept as written.
        unsigned byte = 0;
        const char* digits = s.data() + i + 1;
        if (i + 3 < s.size() && std::from_chars(digits, digits + 2, byte, 16).ptr == digits + 2) {
          out.push_back(static_cast<char>(byte));
          i += 2;
        } else {
          out += "\\x";
        }
        break;
      }
      default: out.push_back(n);
    }
  }
  return out;
}

std::string PythonTime(std::chrono::system_clock::time_point t) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  char out[96];
  std::snprintf(out, sizeof out, "%s.%06lld+00:00", buf, static_cast<long long>(us % 1000000));
  return out;
}

StatusOr<std::chrono::system_clock::time_point> ParseTimestamp(const std::string& text) {
  // barman writes str(datetime) ("2026-11-25 10:53:11.123456+00:00"), and a
  // recovery target may be written as PostgreSQL prints it ("...+00", " UTC",
  // no zone meaning UTC); the zone is brought to RFC 3339's form, then common
  // /base's parser reads it.
  size_t end = std::min<size_t>(text.size(), 19);
  if (end < text.size() && text[end] == '.') {
    ++end;
    while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
  }
  std::string zone = Trim(text.substr(end));
  if (zone.empty() || zone == "UTC" || zone == "GMT") {
    zone = "Z";
  } else if ((zone[0] == '+' || zone[0] == '-') && zone.size() == 3) {
    zone += ":00";
  } else if ((zone[0] == '+' || zone[0] == '-') && zone.size() == 5 && zone.find(':') == std::string::npos) {
    zone.insert(3, ":");
  } else if (zone[0] != '+' && zone[0] != '-' && zone != "Z") {
    return InvalidArgumentError("timestamp '" + text + "': give the zone as an offset (+00:00) or UTC");
  }
  auto t = ParseRfc3339(text.substr(0, end) + zone);
  if (!t.ok()) return InvalidArgumentError("'" + text + "' is not a timestamp like 2026-11-25 10:53:11+00:00");
  return *t;
}

std::string RenderBackupInfo(const BackupInfo& i) {
  std::map<std::string, std::string> kv;
  kv["backup_label"] = i.backup_label.empty() ? "None" : PythonRepr(i.backup_label);
  if (!i.backup_name.empty()) kv["backup_name"] = i.backup_name;
  kv["begin_offset"] = std::to_string(i.begin_offset);
  kv["begin_time"] = OrNone(i.begin_time);
  kv["begin_wal"] = OrNone(i.begin_wal);
  kv["begin_xlog"] = OrNone(i.begin_xlog);
  kv["compression"] = "None";
  kv["config_file"] = OrNone(i.config_file);
  char stats[160];
  std::snprintf(stats, sizeof stats, "{'total_time': %.6f, 'number_of_workers': %d}", i.copy_seconds, i.workers);
  kv["copy_stats"] = stats;
  kv["deduplicated_size"] = "None";
  kv["end_offset"] = std::to_string(i.end_offset);
  kv["end_time"] = OrNone(i.end_time);
  kv["end_wal"] = OrNone(i.end_wal);
  kv["end_xlog"] = OrNone(i.end_xlog);
  kv["error"] = OrNone(i.error);
  kv["hba_file"] = OrNone(i.hba_file);
  kv["ident_file"] = OrNone(i.ident_file);
  kv["included_files"] = "None";
  kv["mode"] = "concurrent";
  kv["pgdata"] = OrNone(i.pgdata);
  // barman-cloud writes the literal "cloud" here, whatever the server name.
  kv["server_name"] = "cloud";
  kv["size"] = i.size ? std::to_string(*i.size) : "None";
  kv["status"] = i.status;
  kv["systemid"] = OrNone(i.systemid);
  kv["tablespaces"] = "None";
  kv["timeline"] = std::to_string(i.timeline);
  kv["version"] = std::to_string(i.version);
  kv["xlog_segment_size"] = std::to_string(i.xlog_segment_size);
  std::string out;
  for (const auto& [k, v] : kv) out += k + "=" + v + "\n";
  return out;
}

StatusOr<BackupInfo> ParseBackupInfo(const std::string& text) {
  BackupInfo i;
  std::istringstream in(text);
  std::string line;
  std::map<std::string, std::string> kv;
  while (std::getline(in, line)) {
    std::string t = Trim(line);
    if (t.empty() || t[0] == '#') continue;
    size_t eq = t.find('=');
    if (eq == std::string::npos) continue;
    kv[Trim(t.substr(0, eq))] = Trim(t.substr(eq + 1));
  }
  if (!kv.count("status")) return InvalidArgumentError("backup.info has no status");
  auto get = [&](const char* k) { return kv.count(k) ? NoneToEmpty(kv[k]) : std::string(); };
  auto num = [&](const char* k) -> StatusOr<uint64_t> {
    std::string v = get(k);
    return v.empty() ? StatusOr<uint64_t>(uint64_t{0}) : Number<uint64_t>(k, v);
  };
  i.backup_label = get("backup_label").empty() ? "" : PythonUnrepr(get("backup_label"));
  i.backup_name = get("backup_name");
  ASSIGN_OR_RETURN(i.begin_offset, num("begin_offset"));
  i.begin_time = get("begin_time");
  i.begin_wal = get("begin_wal");
  i.begin_xlog = get("begin_xlog");
  i.config_file = get("config_file");
  i.hba_file = get("hba_file");
  i.ident_file = get("ident_file");
  ASSIGN_OR_RETURN(i.end_offset, num("end_offset"));
  i.end_time = get("end_time");
  i.end_wal = get("end_wal");
  i.end_xlog = get("end_xlog");
  i.error = get("error");
  i.pgdata = get("pgdata");
  if (!get("size").empty()) {
    ASSIGN_OR_RETURN(i.size, num("size"));
  }
  i.status = get("status");
  i.systemid = get("systemid");
  if (!get("timeline").empty()) {
    ASSIGN_OR_RETURN(i.timeline, Number<int>("timeline", get("timeline")));
  }
  if (!get("version").empty()) {
    ASSIGN_OR_RETURN(i.version, Number<int>("version", get("version")));
  }
  ASSIGN_OR_RETURN(uint64_t segment_size, num("xlog_segment_size"));
  if (segment_size != 0) {
    // Segment names are computed from it: a size PostgreSQL cannot have
    // would divide by zero or name the wrong files.
    if (!IsValidSegmentSize(segment_size)) {
      return DataLossError("backup.info: xlog_segment_size=" + std::to_string(segment_size) +
                           " is not a WAL segment size (a power of two from 1 MiB to 1 GiB)");
    }
    i.xlog_segment_size = segment_size;
  }
  // copy_stats is a Python dict: {'total_time': 12.3, 'number_of_workers': 4}
  const std::string stats = get("copy_stats");
  auto stat = [&](const std::string& key) -> const char* {
    auto at = stats.find("'" + key + "':");
    return at == std::string::npos ? nullptr : stats.c_str() + at + key.size() + 3;
  };
  // Statistics only: a value that does not parse is left at its default.
  if (const char* v = stat("total_time")) i.copy_seconds = std::strtod(v, nullptr);
  if (const char* v = stat("number_of_workers")) {
    while (*v == ' ') ++v;
    std::from_chars(v, stats.c_str() + stats.size(), i.workers);
  }
  return i;
}

}  // namespace tusk::backup
