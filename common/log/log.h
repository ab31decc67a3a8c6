// Structured logging: one JSON object per line ({"ts","level","logger","msg",
// ...fields}), the shape CloudNativePG users already feed to their log
// pipelines, or aligned text for a person at a terminal. Backed by spdlog.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/base/status.h"

namespace tusk::log {

enum class Level { kTrace = 0, kDebug, kInfo, kWarn, kError, kOff };
enum class Format { kJson, kText };

struct Options {
  Level level = Level::kInfo;
  Format format = Format::kJson;
  bool to_stderr = false;  // default: stdout, as a container's log
};

StatusOr<Level> ParseLevel(std::string_view name);   // trace, debug, info, warn(ing), error, off
StatusOr<Format> ParseFormat(std::string_view name);  // json, text
std::string_view LevelName(Level level);               // "info"

// Options from flags, falling back to TUSK_LOG_LEVEL / TUSK_LOG_FORMAT, then
// to the defaults. Empty flag means "not given".
StatusOr<Options> OptionsFrom(std::string_view level_flag, std::string_view format_flag);

// Configures the process-wide sink. Without it, logging goes to stdout as
// JSON at info.
void Init(const Options& options);
// Writes out anything buffered (before exit or exec).
void Flush();

// One rendered record, without the trailing newline. Invalid UTF-8 in
// messages or fields (PostgreSQL passes client bytes through) is replaced,
// never dropped with the whole line.
std::string FormatRecord(Format format, std::chrono::system_clock::time_point ts, Level level,
                         std::string_view logger, std::string_view msg, const nlohmann::json& fields);

class Logger {
 public:
  explicit Logger(std::string name, nlohmann::json fields = nlohmann::json::object());

  // A child logger that adds `fields` (e.g. {"cluster": ..., "pod": ...})
  // to every record.
  Logger With(const nlohmann::json& fields) const;
  const std::string& name() const { return name_; }

  bool Enabled(Level level) const;
  // The line Log() would write now, in the configured format.
  std::string Render(Level level, std::string_view msg, const nlohmann::json& fields = nullptr) const;
  void Log(Level level, std::string_view msg, const nlohmann::json& fields = nullptr) const;
  void Trace(std::string_view msg, const nlohmann::json& fields = nullptr) const { Log(Level::kTrace, msg, fields); }
  void Debug(std::string_view msg, const nlohmann::json& fields = nullptr) const { Log(Level::kDebug, msg, fields); }
  void Info(std::string_view msg, const nlohmann::json& fields = nullptr) const { Log(Level::kInfo, msg, fields); }
  void Warn(std::string_view msg, const nlohmann::json& fields = nullptr) const { Log(Level::kWarn, msg, fields); }
  void Error(std::string_view msg, const nlohmann::json& fields = nullptr) const { Log(Level::kError, msg, fields); }

 private:
  std::string name_;
  nlohmann::json fields_;
};

}  // namespace tusk::log
