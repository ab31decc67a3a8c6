// What every benchmark prints: one JSON object per figure on stdout, e.g.
// {"bench":"instance.promote_ms","value":212,"unit":"ms","p50":..,"runs":10}.
// Anything meant for a person goes to stderr.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tusk::bench {

// Prints one figure. `extra` may add p50/p99/max/runs/baseline/goal fields.
void Report(const std::string& name, double value, const std::string& unit,
            const nlohmann::json& extra = nlohmann::json::object());

struct Summary {
  double p50 = 0, p99 = 0, max = 0, min = 0, mean = 0;
  size_t runs = 0;
};
Summary Summarize(std::vector<double> samples);

// Report with value = median and p50/p99/max/runs filled in.
void ReportSamples(const std::string& name, const std::vector<double>& samples, const std::string& unit,
                   const nlohmann::json& extra = nlohmann::json::object());

// Resident set size of a process, from /proc/<pid>/status (VmRSS), in MiB.
double RssMib(int pid);

}  // namespace tusk::bench
