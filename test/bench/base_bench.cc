// Foundation figures: the cost of starting a child process (the instance
// manager runs pg_ctl, pg_rewind, archive helpers; localkube runs `ip` for
// every pod) and of one JSON log line.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>
#include <vector>

#include "common/base/subprocess.h"
#include "common/log/log.h"
#include "test/bench/bench.h"

namespace {

double MillisSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// Milliseconds to run `true` to its end, `runs` times.
std::vector<double> TimeSpawns(int runs) {
  std::vector<double> out;
  for (int i = 0; i < runs; ++i) {
    tusk::SubprocessOptions o;
    o.argv = {"true"};
    auto t = std::chrono::steady_clock::now();
    auto r = tusk::RunSubprocess(o);
    if (!r.ok() || !r->exit.success()) {
      std::cerr << "spawn failed: " << r.status().ToString() << "\n";
      std::exit(1);
    }
    out.push_back(MillisSince(t));
  }
  return out;
}

// The same with a plain fork + exec: what starting a program costs when the
// parent's page tables are copied.
std::vector<double> TimeForks(int runs) {
  std::vector<double> out;
  for (int i = 0; i < runs; ++i) {
    auto t = std::chrono::steady_clock::now();
    pid_t pid = ::fork();
    if (pid == 0) {
      ::execlp("true", "true", nullptr);
      ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    out.push_back(MillisSince(t));
  }
  return out;
}

}  // namespace

int main() {
  tusk::bench::ReportSamples("base.spawn_ms", TimeSpawns(50), "ms");
  {
    // A parent like localkube or an operator: 1 GiB touched, a few threads.
    std::vector<char> heap(size_t{1} << 30, 1);
    std::vector<std::thread> idle;
    std::atomic<bool> done{false};
    for (int i = 0; i < 8; ++i) {
      idle.emplace_back([&] {
        while (!done) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      });
    }
    auto spawns = TimeSpawns(30);
    auto forks = TimeForks(30);
    done = true;
    for (auto& t : idle) t.join();
    auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    tusk::bench::ReportSamples("base.spawn_large_parent_ms", spawns, "ms",
                               {{"parent_mib", 1024}, {"fork_exec_p50_ms", median(forks)},
                                {"speedup_vs_fork", median(forks) / median(spawns)}});
  }

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
