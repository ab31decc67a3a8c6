#include "test/localkube/net/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <sstream>
#include <thread>

#include "common/base/subprocess.h"

namespace tusk::localkube::net {
namespace {

constexpr auto kIpTimeout = std::chrono::seconds(10);

StatusOr<SubprocessResult> RunIp(const std::vector<std::string>& args, const std::string& input) {
  SubprocessOptions opts;
  opts.argv = {"ip"};
  opts.argv.insert(opts.argv.end(), args.begin(), args.end());
  if (!input.empty()) opts.stdin_data = input;
  ASSIGN_OR_RETURN(SubprocessResult r, RunSubprocess(opts, kIpTimeout));
  if (!r.exit.success()) {
    std::string cmd;
    for (const auto& a : opts.argv) cmd += (cmd.empty() ? "" : " ") + a;
    std::string err = r.stderr_data;
    while (!err.empty() && err.back() == '\n') err.pop_back();
    return InternalError(cmd + ": " + (err.empty() ? r.exit.Describe() : err));
  }
  return r;
}

}  // namespace

Status Ip(const std::vector<std::string>& args) { return RunIp(args, "").status(); }

StatusOr<std::string> IpOutput(const std::vector<std::string>& args) {
  ASSIGN_OR_RETURN(SubprocessResult r, RunIp(args, ""));
  return r.stdout_data;
}

Status IpBatch(const std::string& netns, const std::vector<std::string>& commands) {
  std::string input;
  for (const auto& c : commands) input += c + "\n";
  std::vector<std::string> args;
  if (!netns.empty()) args = {"-n", netns};
  args.insert(args.end(), {"-batch", "-"});
  return RunIp(args, input).status();
}

Status InNetns(const std::string& netns_path, const std::function<Status()>& fn) {
  Status result;
  std::thread worker([&] {
    const int fd = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      result = ErrnoError("open " + netns_path, errno);
      return;
    }
    // setns(CLONE_NEWNET) moves only this thread, which ends right after.
    if (::setns(fd, CLONE_NEWNET) != 0) {
      result = ErrnoError("setns " + netns_path, errno);
      ::close(fd);
      return;
    }
    ::close(fd);
    result = fn();
  });
  worker.join();
  return result;
}

StatusOr<std::vector<std::string>> ListNetns() {
  ASSIGN_OR_RETURN(std::string out, IpOutput({"netns", "list"}));
  std::vector<std::string> names;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string name;
    if (words >> name) names.push_back(name);
  }
  return names;
}

std::string NetnsPath(const std::string& name) { return "/run/netns/" + name; }

}  // namespace tusk::localkube::net
