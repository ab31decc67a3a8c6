// Foundation figures: the cost of starting a child process (the instance
// manager runs pg_ctl, pg_rewind, archive helpers) and of one JSON log line.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "common/base/subprocess.h"
#include "common/log/log.h"
#include "test/bench/bench.h"

namespace {

double MillisSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main() {
  std::vector<double> spawn;
  for (int i = 0; i < 50; ++i) {
    tusk::SubprocessOptions o;
    o.argv = {"true"};
    auto t = std::chrono::steady_clock::now();
    auto r = tusk::RunSubprocess(o);
    if (!r.ok() || !r->exit.success()) {
      std::cerr << "spawn failed: " << r.status().ToString() << "\n";
      return 1;
    }
    spawn.push_back(MillisSince(t));
  }
  tusk::bench::ReportSamples("base.spawn_ms", spawn, "ms");

  // Log throughput into /dev/null, so the terminal is not what is measured.
  std::fflush(stdout);
  int saved_stdout = ::dup(1);
  int devnull = ::open("/dev/null", O_WRONLY);
  if (saved_stdout < 0 || devnull < 0 || ::dup2(devnull, 1) < 0) return 1;
  tusk::log::Logger logger("bench", {{"cluster", "pg"}, {"namespace", "default"}, {"pod", "pg-1"}});
  constexpr int kLines = 200000;
  auto t = std::chrono::steady_clock::now();
  for (int i = 0; i < kLines; ++i) logger.Info("checkpoint complete", {{"lsn", "0/3000148"}, {"n", i}});
  tusk::log::Flush();
  double secs = MillisSince(t) / 1000.0;
  std::fflush(stdout);
  if (::dup2(saved_stdout, 1) < 0) return 1;
  tusk::bench::Report("log.json_lines_per_s", kLines / secs, "ops/s", {{"runs", kLines}});
  return 0;
}
