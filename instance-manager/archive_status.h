// The archiver's half of the instance status: what the embedded WAL archiver
// reports (last archived and failed WAL, counts, first recoverability point)
// joined with what pg_wal/archive_status shows (segments still waiting and
// how long the oldest has waited). The join is pure; the scan reads a
// directory.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "common/backup/managed_archiver.h"
#include "common/backup/wal_archive.h"
#include "tusk/proto/instance.pb.h"

namespace tusk::instance {

// pg_wal/archive_status as postgres left it.
struct ArchiveQueue {
  uint32_t ready = 0;  // *.ready: closed, not yet archived
  uint32_t done = 0;   // *.done: archived, not yet recycled
  // mtime of the oldest .ready file (postgres creates it when the segment
  // is complete); zero when none waits.
  std::chrono::system_clock::time_point oldest_ready{};
};

// A missing directory (no PGDATA yet) is an empty queue.
ArchiveQueue ScanArchiveQueue(const std::string& pgdata);

v1::ArchiverStatus MakeArchiverStatus(const backup::ArchiverStats& stats,
                                      const backup::RecoverabilityStats& recoverability,
                                      const ArchiveQueue& queue, std::chrono::system_clock::time_point now);

}  // namespace tusk::instance
