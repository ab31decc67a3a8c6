#include "common/backup/layout.h"

#include <cctype>
#include <charconv>
#include <cstdio>
#include <ctime>

namespace tusk::backup {
namespace {

bool AllHex(std::string_view s) {
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string Trim(std::string_view s, char c) {
  while (!s.empty() && s.front() == c) s.remove_prefix(1);
  while (!s.empty() && s.back() == c) s.remove_suffix(1);
  return std::string(s);
}

std::string Hex8(uint64_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08X", static_cast<unsigned>(v));
  return buf;
}

}  // namespace

StatusOr<Destination> ParseDestinationPath(std::string_view url) {
  constexpr std::string_view kScheme = "s3://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return InvalidArgumentError("destinationPath '" + std::string(url) +
                                "' is not an s3:// URL (only S3-compatible stores are supported)");
  }
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  Destination d;
  d.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) d.path = Trim(rest.substr(slash), '/');
  if (d.bucket.empty()) return InvalidArgumentError("destinationPath '" + std::string(url) + "' names no bucket");
  return d;
}

bool IsWalSegmentName(std::string_view name) { return name.size() == 24 && AllHex(name); }

bool IsHistoryFileName(std::string_view name) {
  return name.size() == 16 && AllHex(name.substr(0, 8)) && name.substr(8) == ".history";
}

bool IsWalFileName(std::string_view name) {
  if (IsWalSegmentName(name) || IsHistoryFileName(name)) return true;
  if (name.size() < 24 || !IsWalSegmentName(name.substr(0, 24))) return false;
  std::string_view rest = name.substr(24);
  if (rest == ".partial") return true;
  return rest.size() == 16 && rest[0] == '.' && AllHex(rest.substr(1, 8)) && rest.substr(9) == ".backup";
}

std::string SegmentNameAt(uint32_t timeline, uint64_t lsn, uint64_t segment_size) {
  uint64_t segno = lsn / segment_size;
  uint64_t per_id = 0x100000000ull / segment_size;
  return Hex8(timeline) + Hex8(segno / per_id) + Hex8(segno % per_id);
}

bool IsValidSegmentSize(uint64_t segment_size) {
  return segment_size >= (1u << 20) && segment_size <= (1u << 30) && (segment_size & (segment_size - 1)) == 0;
}

StatusOr<std::string> NextSegmentName(std::string_view segment, uint64_t segment_size) {
  if (!IsWalSegmentName(segment)) return InvalidArgumentError("'" + std::string(segment) + "' is not a WAL segment name");
  if (!IsValidSegmentSize(segment_size)) {
    return InvalidArgumentError(std::to_string(segment_size) + " is not a WAL segment size");
  }
  auto hex = [&](size_t at) {
    uint32_t v = 0;
    std::from_chars(segment.data() + at, segment.data() + at + 8, v, 16);  // 8 hex digits: always fits
    return v;
  };
  uint32_t tli = hex(0);
  uint64_t log = hex(8);
  uint64_t seg = hex(16);
  uint64_t per_id = 0x100000000ull / segment_size;
  uint64_t segno = log * per_id + seg + 1;
  return SegmentNameAt(tli, segno * segment_size, segment_size);
}

Layout::Layout(Destination dest, std::string server_name) : dest_(std::move(dest)), server_(std::move(server_name)) {}

std::string Layout::ServerPrefix() const { return (dest_.path.empty() ? "" : dest_.path + "/") + server_ + "/"; }
std::string Layout::WalsPrefix() const { return ServerPrefix() + "wals/"; }

std::string Layout::WalDir(std::string_view wal_name) const {
  if (IsHistoryFileName(wal_name)) return WalsPrefix();
  return WalsPrefix() + std::string(wal_name.substr(0, 16)) + "/";
}

std::string Layout::WalKey(std::string_view wal_name, Codec codec) const {
  return WalDir(wal_name) + std::string(wal_name) + std::string(CodecExtension(codec));
}

std::string Layout::BasePrefix() const { return ServerPrefix() + "base/"; }
std::string Layout::BackupPrefix(std::string_view id) const { return BasePrefix() + std::string(id) + "/"; }
std::optional<std::string> Layout::BackupIdOf(std::string_view common_prefix) const {
  const std::string base = BasePrefix();
  if (common_prefix.substr(0, base.size()) != base) return std::nullopt;
  std::string_view id = common_prefix.substr(base.size());
  if (!id.empty() && id.back() == '/') id.remove_suffix(1);
  if (id.empty() || id.find('/') != std::string_view::npos) return std::nullopt;
  return std::string(id);
}

std::string Layout::BackupInfoKey(std::string_view id) const { return BackupPrefix(id) + "backup.info"; }
std::string Layout::DataTarKey(std::string_view id, Codec codec) const {
  return BackupPrefix(id) + "data.tar" + std::string(CodecExtension(codec));
}

std::optional<WalObjectName> ParseWalObjectKey(std::string_view key) {
  std::string_view base = key.substr(key.rfind('/') == std::string_view::npos ? 0 : key.rfind('/') + 1);
  if (IsWalFileName(base)) return WalObjectName{std::string(base), Codec::kNone};
  size_t dot = base.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto codec = CodecFromExtension(base.substr(dot));
  if (!codec || !IsWalFileName(base.substr(0, dot))) return std::nullopt;
  return WalObjectName{std::string(base.substr(0, dot)), *codec};
}

std::string BackupIdAt(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  localtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%S", &tm);
  return buf;
}

}  // namespace tusk::backup
