// Running PostgreSQL's programs (initdb, pg_basebackup, pg_rewind,
// pg_controldata, postgres -C) as the postgres OS user, through the child
// registry so PID 1's reaper leaves their exit statuses alone. PgTools is
// the interface (tests use test/fakes/fake_pg_tools.h).
#pragma once

#include <string>
#include <vector>

#include "common/base/status.h"
#include "instance-manager/child_reaper.h"
#include "instance-manager/options.h"

namespace tusk::instance {

class PgTools {
 public:
  explicit PgTools(const Options& options) : options_(options) {}
  virtual ~PgTools() = default;

  // Runs bin_dir/<program> with `args`; a non-zero exit is an error
  // carrying the program's stderr.
  virtual StatusOr<SubprocessResult> Run(const std::string& program, const std::vector<std::string>& args,
                                         Duration timeout, const std::string& stdin_data = "") = 0;

  // chown -R to the postgres user (a no-op when not root).
  virtual Status ChownToPostgres(const std::string& path) = 0;

  // "Database cluster state", "Latest checkpoint's TimeLineID", ... from
  // pg_controldata.
  StatusOr<std::map<std::string, std::string>> ControlData();

  const Options& options() const { return options_; }

 private:
  const Options& options_;
};

// The real programs, as child processes owned through the registry.
class ProcessPgTools final : public PgTools {
 public:
  ProcessPgTools(const Options& options, ChildRegistry* registry) : PgTools(options), registry_(registry) {}

  StatusOr<SubprocessResult> Run(const std::string& program, const std::vector<std::string>& args,
                                 Duration timeout, const std::string& stdin_data = "") override;
  Status ChownToPostgres(const std::string& path) override;

 private:
  ChildRegistry* registry_;
};

// Parses pg_controldata's "Key:   value" lines.
std::map<std::string, std::string> ParseControlData(const std::string& text);

}  // namespace tusk::instance
