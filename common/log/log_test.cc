#include "common/log/log.h"

#include <cstdlib>

#include <catch2/catch.hpp>

namespace tusk::log {
namespace {

using nlohmann::json;

const auto kTs = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'700'000'000'123));

TEST_CASE("a JSON record is one line with ts, level, logger, msg and the fields") {
  std::string line = FormatRecord(Format::kJson, kTs, Level::kInfo, "instance", "postgres started",
                                  {{"cluster", "pg"}, {"namespace", "default"}, {"pod", "pg-1"}});
  CHECK(line.find('\n') == std::string::npos);
  json j = json::parse(line);
  CHECK(j["ts"] == "2023-11-14T22:13:20.123Z");
  CHECK(j["level"] == "info");
  CHECK(j["logger"] == "instance");
  CHECK(j["msg"] == "postgres started");
  CHECK(j["cluster"] == "pg");
  CHECK(j["pod"] == "pg-1");
}

TEST_CASE("quotes, newlines and control characters are escaped, not line breaks") {
  std::string msg = "syntax error at \"x\"\nLINE 1: select\t\x01";
  std::string line = FormatRecord(Format::kJson, kTs, Level::kError, "postgres", msg, {{"detail", "a\"b\\c"}});
  CHECK(line.find('\n') == std::string::npos);
  json j = json::parse(line);
  CHECK(j["msg"] == msg);
  CHECK(j["detail"] == "a\"b\\c");
}

TEST_CASE("invalid UTF-8 from postgres is replaced instead of losing the record") {
  std::string msg = "bad byte \xff\xfe here";
  std::string line = FormatRecord(Format::kJson, kTs, Level::kWarn, "postgres", msg, json::object());
  json j = json::parse(line);
  CHECK(j["msg"].get<std::string>().find("bad byte") == 0);
  CHECK(j["msg"].get<std::string>().find("here") != std::string::npos);
  CHECK(j["level"] == "warning");
}

TEST_CASE("a field named like a reserved key cannot overwrite it") {
  std::string line = FormatRecord(Format::kJson, kTs, Level::kInfo, "operator", "real message",
                                  {{"msg", "forged"}, {"level", "error"}});
  json j = json::parse(line);
  CHECK(j["msg"] == "real message");
  CHECK(j["level"] == "info");
  CHECK(j["field_msg"] == "forged");
}

TEST_CASE("nested records such as a postgres jsonlog entry stay structured") {
  json record = {{"error_severity", "LOG"}, {"message", "checkpoint starting"}, {"pid", 42}};
  std::string line = FormatRecord(Format::kJson, kTs, Level::kInfo, "postgres", "record", {{"record", record}});
  CHECK(json::parse(line)["record"]["pid"] == 42);
}

TEST_CASE("text format is one readable line") {
  std::string line = FormatRecord(Format::kText, kTs, Level::kWarn, "operator", "two\nlines", {{"pod", "pg-2"}});
  CHECK(line == "2023-11-14T22:13:20.123Z WARNING operator: two lines pod=\"pg-2\"");
}

TEST_CASE("levels and formats parse from flags or the environment, with clear errors") {
  CHECK(*ParseLevel("DEBUG") == Level::kDebug);
  CHECK(*ParseLevel("warning") == Level::kWarn);
  auto bad = ParseLevel("loud");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("loud") != std::string::npos);
  CHECK(ParseFormat("yaml").status().code() == StatusCode::kInvalidArgument);

  ::setenv("TUSK_LOG_LEVEL", "error", 1);
  ::setenv("TUSK_LOG_FORMAT", "text", 1);
  auto from_env = OptionsFrom("", "");
  REQUIRE(from_env.ok());
  CHECK(from_env->level == Level::kError);
  CHECK(from_env->format == Format::kText);
  auto flag_wins = OptionsFrom("debug", "json");
  REQUIRE(flag_wins.ok());
  CHECK(flag_wins->level == Level::kDebug);
  CHECK(flag_wins->format == Format::kJson);
  ::unsetenv("TUSK_LOG_LEVEL");
  ::unsetenv("TUSK_LOG_FORMAT");
}

TEST_CASE("records below the configured level are not emitted") {
  Init({Level::kWarn, Format::kJson, true});
  Logger l("test");
  CHECK_FALSE(l.Enabled(Level::kInfo));
  CHECK(l.Enabled(Level::kWarn));
  CHECK(l.Enabled(Level::kError));
  CHECK_FALSE(l.Enabled(Level::kOff));
  Init(Options{});
  CHECK(l.Enabled(Level::kInfo));
}

TEST_CASE("child loggers carry their fields and the call's fields win") {
  Logger base("operator", {{"cluster", "a"}, {"namespace", "prod"}});
  Logger child = base.With({{"pod", "a-1"}, {"cluster", "b"}});
  json j = json::parse(child.Render(Level::kInfo, "m", {{"pod", "a-2"}}));
  CHECK(j["logger"] == "operator");
  CHECK(j["cluster"] == "b");
  CHECK(j["namespace"] == "prod");
  CHECK(j["pod"] == "a-2");
  CHECK(json::parse(base.Render(Level::kInfo, "m")).count("pod") == 0);
}

}  // namespace
}  // namespace tusk::log
