// Running PostgreSQL's programs (initdb, pg_basebackup, pg_rewind,
// pg_controldata, postgres -C) as the postgres OS user, through the child
// registry so PID 1's reaper leaves their exit statuses alone.
#pragma once

#include <string>
#include <vector>

#include "common/base/status.h"
#include "instance-manager/child_reaper.h"
#include "instance-manager/options.h"

namespace tusk::instance {

class PgTools {
 public:
  PgTools(const Options& options, ChildRegistry* registry) : options_(options), registry_(registry) {}

  // Runs bin_dir/<program> with `args`; a non-zero exit is an error
  // carrying the program's stderr.
  StatusOr<SubprocessResult> Run(const std::string& program, const std::vector<std::string>& args,
                                 Duration timeout, const std::string& stdin_data = "");

  // chown -R to the postgres user (a no-op when not root).
  Status ChownToPostgres(const std::string& path);

  // "Database cluster state", "Latest checkpoint's TimeLineID", ... from
  // pg_controldata.
  StatusOr<std::map<std::string, std::string>> ControlData();

  const Options& options() const { return options_; }
  ChildRegistry* registry() { return registry_; }

 private:
  const Options& options_;
  ChildRegistry* registry_;
};

// Parses pg_controldata's "Key:   value" lines.
std::map<std::string, std::string> ParseControlData(const std::string& text);

}  // namespace tusk::instance
