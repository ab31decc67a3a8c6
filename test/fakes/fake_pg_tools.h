// PostgreSQL's programs without PostgreSQL: every run is recorded and
// succeeds, unless the test scripts a failure for a program.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "instance-manager/pg_tools.h"

namespace tusk::instance {

class FakePgTools final : public PgTools {
 public:
  explicit FakePgTools(const Options& options) : PgTools(options) {}

  // The next runs of `program` fail with `error` (as a non-zero exit would).
  void FailWith(const std::string& program, const std::string& error) {
    std::lock_guard<std::mutex> lock(mu_);
    failures_[program] = error;
  }
  void Succeed(const std::string& program) {
    std::lock_guard<std::mutex> lock(mu_);
    failures_.erase(program);
  }
  std::vector<std::string> runs() const {
    std::lock_guard<std::mutex> lock(mu_);
    return runs_;
  }
  int count(const std::string& program) const {
    std::lock_guard<std::mutex> lock(mu_);
    int n = 0;
    for (const auto& r : runs_) n += r == program;
    return n;
  }

  StatusOr<SubprocessResult> Run(const std::string& program, const std::vector<std::string>&, Duration,
                                 const std::string& = "") override {
    std::lock_guard<std::mutex> lock(mu_);
    runs_.push_back(program);
    if (auto it = failures_.find(program); it != failures_.end()) {
      return UnknownError(program + " failed (exit code 1): " + it->second);
    }
    SubprocessResult r;
    r.exit.exited = true;
    r.exit.exit_code = 0;
    return r;
  }
  Status ChownToPostgres(const std::string&) override { return OkStatus(); }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> runs_;
  std::map<std::string, std::string> failures_;
};

}  // namespace tusk::instance
