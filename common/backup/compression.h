// The compressions barman-cloud reads, as streams: gzip and bzip2 (every
// barman 3.x, WAL and base backups), lz4 frames and zstd frames (barman 3.12+,
// WAL only). Snappy is recognised by name and refused with a clear error.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/base/status.h"

namespace tusk::backup {

enum class Codec { kNone, kGzip, kBzip2, kLz4, kZstd };

// "", "gzip", "bzip2", "lz4", "zstd" (CloudNativePG's wal/data.compression).
StatusOr<Codec> ParseCodec(std::string_view name);
std::string_view CodecName(Codec codec);
// ".gz", ".bz2", ".lz4", ".zst"; "" for none.
std::string_view CodecExtension(Codec codec);
std::optional<Codec> CodecFromExtension(std::string_view ext);

// A streaming transform: Write appends output to *out as input arrives,
// Finish flushes the rest. One instance per stream.
class Transform {
 public:
  virtual ~Transform() = default;
  virtual Status Write(std::string_view in, std::string* out) = 0;
  virtual Status Finish(std::string* out) = 0;
};

StatusOr<std::unique_ptr<Transform>> MakeCompressor(Codec codec);
StatusOr<std::unique_ptr<Transform>> MakeDecompressor(Codec codec);

StatusOr<std::string> Compress(Codec codec, std::string_view in);
StatusOr<std::string> Decompress(Codec codec, std::string_view in);

}  // namespace tusk::backup
