// Where things live in the object store, named exactly as barman-cloud names
// them, so its tools read what Tusk writes and the other way round:
//   <path>/<server>/wals/<timeline+log>/<walname>[.ext]   (history: wals/<name>)
//   <path>/<server>/base/<backupId>/{data.tar[.ext], backup.info}
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/backup/compression.h"
#include "common/base/status.h"

namespace tusk::backup {

constexpr uint64_t kDefaultWalSegmentSize = 16u << 20;

struct Destination {
  std::string bucket;
  std::string path;  // no leading or trailing '/'; may be empty
};

// "s3://bucket/some/path" (a trailing '/' is fine).
StatusOr<Destination> ParseDestinationPath(std::string_view url);

// barman's accepted names: segments, .partial, .backup and .history files.
bool IsWalFileName(std::string_view name);
bool IsWalSegmentName(std::string_view name);  // exactly 24 hex characters
bool IsHistoryFileName(std::string_view name);

// What PostgreSQL allows for wal_segment_size: a power of two, 1 MiB to 1 GiB.
bool IsValidSegmentSize(uint64_t segment_size);

// The segment after `segment` (same timeline), for prefetching; an error when
// `segment` is not a segment name or the size is not a valid one.
StatusOr<std::string> NextSegmentName(std::string_view segment, uint64_t segment_size = kDefaultWalSegmentSize);
// "000000010000000200000003" for timeline 1 at `lsn`; `segment_size` must be
// valid (IsValidSegmentSize).
std::string SegmentNameAt(uint32_t timeline, uint64_t lsn, uint64_t segment_size = kDefaultWalSegmentSize);

class Layout {
 public:
  Layout(Destination dest, std::string server_name);

  const Destination& destination() const { return dest_; }
  const std::string& server_name() const { return server_; }

  std::string ServerPrefix() const;  // "<path>/<server>/"
  std::string WalsPrefix() const;    // ".../wals/"
  // The directory a WAL file's objects live in (history files: wals/ itself).
  std::string WalDir(std::string_view wal_name) const;
  std::string WalKey(std::string_view wal_name, Codec codec) const;
  std::string BasePrefix() const;  // ".../base/"
  std::string BackupPrefix(std::string_view backup_id) const;
  // The backup id of a listing's common prefix (".../base/<id>/"); nullopt
  // for a prefix that is not one, whatever the store returned.
  std::optional<std::string> BackupIdOf(std::string_view common_prefix) const;
  std::string BackupInfoKey(std::string_view backup_id) const;
  std::string DataTarKey(std::string_view backup_id, Codec codec) const;

 private:
  Destination dest_;
  std::string server_;
};

// Splits an object key's basename into the WAL name and its compression, when
// it is a WAL object ("000000010000000000000003.gz" -> name, gzip).
struct WalObjectName {
  std::string wal_name;
  Codec codec = Codec::kNone;
};
std::optional<WalObjectName> ParseWalObjectKey(std::string_view key);

// barman's backup id: the local time at the start, "%Y%m%dT%H%M%S".
std::string BackupIdAt(std::chrono::system_clock::time_point t);

}  // namespace tusk::backup
