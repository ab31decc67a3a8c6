// Postgres's logs on the manager's stdout, one JSON object per record:
// jsonlog records arrive through a FIFO the logging collector writes to
// (log_directory/postgres.json), plain-text output (before the collector
// starts, or from child programs) through a pipe or the collector's stderr
// FIFO. Each becomes {"logger":"postgres","msg":"record","record":{...}}.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/status.h"
#include "common/log/log.h"

namespace tusk::instance {

// The log record for one line of postgres jsonlog output (pure).
struct ForwardedRecord {
  log::Level level = log::Level::kInfo;
  nlohmann::json record;  // the jsonlog object, or {"message": line} for text
};
ForwardedRecord ParsePostgresLogLine(const std::string& line, bool json);

class LogForwarder {
 public:
  explicit LogForwarder(log::Logger logger);
  ~LogForwarder();
  LogForwarder(const LogForwarder&) = delete;
  LogForwarder& operator=(const LogForwarder&) = delete;

  // Creates the FIFOs postgres.json and postgres in `dir` (owned by
  // uid/gid) and starts reading them.
  Status Start(const std::string& dir, uid_t uid, gid_t gid);
  // Adds a pipe of plain-text output (takes ownership of `fd`).
  void AddTextFd(int fd);
  void Stop();

 private:
  struct Source {
    int fd;
    bool json;
    std::string partial;
  };
  void Loop();
  void Emit(const std::string& line, bool json);

  log::Logger logger_;
  std::mutex mu_;
  std::vector<Source> sources_;
  int wake_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace tusk::instance
