// Tar streams as barman-cloud writes and reads them (POSIX ustar with PAX
// extended headers for long names), produced and consumed piece by piece so
// a base backup never sits whole in memory or on disk.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/base/status.h"

namespace tusk::backup {

using ByteSink = std::function<Status(std::string_view)>;

struct TarEntry {
  std::string name;  // relative, e.g. "./PG_VERSION" or "base/1/1259"
  char type = '0';   // '0' file, '5' directory, '2' symlink
  uint64_t size = 0;
  mode_t mode = 0600;
  uid_t uid = 0;
  gid_t gid = 0;
  int64_t mtime = 0;
  std::string link_target;
};

class TarWriter {
 public:
  explicit TarWriter(ByteSink sink) : sink_(std::move(sink)) {}
  // Header only; the caller then writes exactly entry.size bytes with Data().
  Status Begin(const TarEntry& entry);
  Status Data(std::string_view bytes);
  // Pads the current member to a 512-byte boundary.
  Status End();
  Status AddBytes(const TarEntry& entry, std::string_view content);
  // Two zero blocks.
  Status Finish();
  uint64_t bytes_written() const { return written_; }

 private:
  Status Emit(std::string_view bytes);
  ByteSink sink_;
  uint64_t member_left_ = 0;
  uint64_t member_size_ = 0;
  uint64_t written_ = 0;
};

// Extracts a tar stream into `root`, refusing members that would escape it.
class TarExtractor {
 public:
  explicit TarExtractor(std::string root);
  ~TarExtractor();
  Status Write(std::string_view bytes);
  // Errors if the stream ended inside a member.
  Status Finish();
  uint64_t files() const { return files_; }

 private:
  Status OnHeader(const char* block);
  Status ParsePax(std::string_view records);
  Status OpenMember();
  Status CloseMember();
  void StartWriteback();

  std::string root_;
  std::string header_buf_;
  std::string pax_buf_;
  std::string pending_path_;  // from a PAX 'x' or GNU 'L' header
  std::string pending_link_;
  uint64_t pending_size_ = UINT64_MAX;
  enum class State { kHeader, kData, kPax, kLongName, kLongLink, kSkip } state_ = State::kHeader;
  TarEntry entry_;
  uint64_t left_ = 0;
  uint64_t pad_ = 0;
  int fd_ = -1;
  uint64_t written_ = 0;         // bytes of the open member written
  uint64_t writeback_from_ = 0;  // where its writeback has not been started
  static constexpr uint64_t kWritebackStep = 8u << 20;
  static constexpr uint64_t kMaxExtendedHeader = 1u << 20;
  uint64_t files_ = 0;
  bool ended_ = false;
};

}  // namespace tusk::backup
