#include "common/log/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <mutex>

namespace tusk::log {
namespace {

struct Sink {
  std::mutex mu;
  std::shared_ptr<spdlog::logger> logger;
  std::atomic<int> level{static_cast<int>(Level::kInfo)};
  std::atomic<Format> format{Format::kJson};
};

Sink& TheSink() {
  static Sink* sink = [] {
    auto* s = new Sink();
    s->logger = std::make_shared<spdlog::logger>("tusk", std::make_shared<spdlog::sinks::stdout_sink_mt>());
    s->logger->set_pattern("%v");
    s->logger->set_level(spdlog::level::trace);  // filtering happens here, not in spdlog
    s->logger->flush_on(spdlog::level::trace);
    return s;
  }();
  return *sink;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string Rfc3339Millis(std::chrono::system_clock::time_point ts) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(ts.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

StatusOr<Level> ParseLevel(std::string_view name) {
  std::string n = Lower(name);
  if (n == "trace") return Level::kTrace;
  if (n == "debug") return Level::kDebug;
  if (n == "info") return Level::kInfo;
  if (n == "warn" || n == "warning") return Level::kWarn;
  if (n == "error") return Level::kError;
  if (n == "off" || n == "none") return Level::kOff;
  return InvalidArgumentError("unknown log level \"" + std::string(name) +
                              "\" (use trace, debug, info, warn, error or off)");
}

StatusOr<Format> ParseFormat(std::string_view name) {
  std::string n = Lower(name);
  if (n == "json") return Format::kJson;
  if (n == "text" || n == "console") return Format::kText;
  return InvalidArgumentError("unknown log format \"" + std::string(name) + "\" (use json or text)");
}

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kTrace: return "trace";
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warning";
    case Level::kError: return "error";
    case Level::kOff: return "off";
  }
  return "info";
}

StatusOr<Options> OptionsFrom(std::string_view level_flag, std::string_view format_flag) {
  Options o;
  std::string level(level_flag), format(format_flag);
  if (level.empty()) {
    if (const char* e = std::getenv("TUSK_LOG_LEVEL")) level = e;
  }
  if (format.empty()) {
    if (const char* e = std::getenv("TUSK_LOG_FORMAT")) format = e;
  }
  if (!level.empty()) {
    ASSIGN_OR_RETURN(o.level, ParseLevel(level));
  }
  if (!format.empty()) {
    ASSIGN_OR_RETURN(o.format, ParseFormat(format));
  }
  return o;
}

void Init(const Options& options) {
  Sink& s = TheSink();
  std::lock_guard<std::mutex> lock(s.mu);
  spdlog::sink_ptr sink;
  if (options.to_stderr) {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  }
  auto logger = std::make_shared<spdlog::logger>("tusk", sink);
  logger->set_pattern("%v");
  logger->set_level(spdlog::level::trace);
  logger->flush_on(spdlog::level::trace);
  std::atomic_store(&s.logger, logger);
  s.level = static_cast<int>(options.level);
  s.format = options.format;
}

void Flush() {
  auto logger = std::atomic_load(&TheSink().logger);
  logger->flush();
}

std::string FormatRecord(Format format, std::chrono::system_clock::time_point ts, Level level,
                         std::string_view logger, std::string_view msg, const nlohmann::json& fields) {
  if (format == Format::kJson) {
    nlohmann::json j = nlohmann::json::object();
    j["level"] = LevelName(level);
    j["ts"] = Rfc3339Millis(ts);
    j["logger"] = logger;
    j["msg"] = msg;
    if (fields.is_object()) {
      // Reserved keys keep their meaning; a field named like one is prefixed.
      for (const auto& [k, v] : fields.items()) {
        if (k == "level" || k == "ts" || k == "logger" || k == "msg") {
          j["field_" + k] = v;
        } else {
          j[k] = v;
        }
      }
    }
    return Dump(j);
  }
  std::string lv(LevelName(level));
  std::transform(lv.begin(), lv.end(), lv.begin(), [](unsigned char c) { return std::toupper(c); });
  lv.resize(7, ' ');
  std::string out = Rfc3339Millis(ts) + " " + lv + " " + std::string(logger) + ": ";
  for (char c : msg) out += (c == '\n') ? ' ' : c;  // one record, one line
  if (fields.is_object()) {
    for (const auto& [k, v] : fields.items()) out += " " + k + "=" + Dump(v);
  }
  return out;
}

Logger::Logger(std::string name, nlohmann::json fields) : name_(std::move(name)), fields_(std::move(fields)) {
  if (!fields_.is_object()) fields_ = nlohmann::json::object();
}

Logger Logger::With(const nlohmann::json& fields) const {
  nlohmann::json merged = fields_;
  if (fields.is_object()) merged.update(fields);
  return Logger(name_, std::move(merged));
}

bool Logger::Enabled(Level level) const {
  return level != Level::kOff && static_cast<int>(level) >= TheSink().level.load();
}

std::string Logger::Render(Level level, std::string_view msg, const nlohmann::json& fields) const {
  const Format format = TheSink().format;
  const auto now = std::chrono::system_clock::now();
  if (fields.is_object() && !fields.empty()) {
    nlohmann::json all = fields_;
    all.update(fields);
    return FormatRecord(format, now, level, name_, msg, all);
  }
  return FormatRecord(format, now, level, name_, msg, fields_);
}

void Logger::Log(Level level, std::string_view msg, const nlohmann::json& fields) const {
  if (!Enabled(level)) return;
  std::string line = Render(level, msg, fields);
  std::atomic_load(&TheSink().logger)->info(line);
}

}  // namespace tusk::log
