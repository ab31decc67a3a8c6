#include "test/bench/bench.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <numeric>
#include <sstream>

namespace tusk::bench {

void Report(const std::string& name, double value, const std::string& unit, const nlohmann::json& extra) {
  nlohmann::json j = {{"bench", name}, {"value", value}, {"unit", unit}};
  if (extra.is_object()) j.update(extra);
  std::cout << j.dump() << std::endl;
}

Summary Summarize(std::vector<double> samples) {
  Summary s;
  s.runs = samples.size();
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(samples.size()))) - 1;
    return samples[std::min(i, samples.size() - 1)];
  };
  s.p50 = at(0.5);
  s.p99 = at(0.99);
  s.min = samples.front();
  s.max = samples.back();
  s.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(samples.size());
  return s;
}

void ReportSamples(const std::string& name, const std::vector<double>& samples, const std::string& unit,
                   const nlohmann::json& extra) {
  Summary s = Summarize(samples);
  nlohmann::json e = {{"p50", s.p50}, {"p99", s.p99}, {"max", s.max}, {"runs", s.runs}};
  if (extra.is_object()) e.update(extra);
  Report(name, s.p50, unit, e);
}

double RssMib(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream in(line.substr(6));
      double kib = 0;
      in >> kib;
      return kib / 1024.0;
    }
  }
  return -1;
}

}  // namespace tusk::bench
