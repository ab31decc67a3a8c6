#include "test/localkube/fault_cli.h"

#include <csignal>
#include <iostream>

#include "common/base/signals.h"
#include "test/localkube/control.h"

namespace tusk::localkube {

const char kFaultUsage[] = R"(Usage:
  localkube fault kill      --dir DIR POD [-n NS] [-c CONTAINER] [--signal SIG]
  localkube fault partition --dir DIR (POD [-n NS] | --node NODE)
  localkube fault heal      --dir DIR (POD [-n NS] | --node NODE)
  localkube fault node-down --dir DIR NODE

kill       sends SIG (default KILL) to a container's processes (all containers
           unless -c); the kubelet restarts it by the pod's restartPolicy
partition  the pod's (or every pod of the node's) network goes dark both ways,
           API server included; the processes keep running. A partitioned
           node also stops its heartbeats and status updates
heal       undoes partition
node-down  power cut: the node's kubelet and all its pods stop at once; the
           node stays down until localkube restarts
)";

namespace {

Status Usage(const std::string& why) { return InvalidArgumentError(why); }

}  // namespace

StatusOr<FaultCommand> ParseFaultArgs(const std::vector<std::string>& args) {
  if (args.empty()) return Usage("a fault is required: kill, partition, heal or node-down");
  const std::string op = args[0];
  if (op != "kill" && op != "partition" && op != "heal" && op != "node-down") {
    return Usage("unknown fault \"" + op + "\": expected kill, partition, heal or node-down");
  }
  FaultCommand cmd;
  std::string ns = "default", container, node, signal = "KILL";
  std::vector<std::string> positional;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const std::string& flag, std::string* out) -> StatusOr<bool> {
      if (a == flag) {
        if (i + 1 >= args.size()) return Usage(flag + " needs a value");
        *out = args[++i];
        return true;
      }
      if (a.rfind(flag + "=", 0) == 0) {
        *out = a.substr(flag.size() + 1);
        return true;
      }
      return false;
    };
    bool taken = false;
    for (auto [flag, out] : std::initializer_list<std::pair<const char*, std::string*>>{
             {"--dir", &cmd.dir}, {"-n", &ns}, {"--namespace", &ns}, {"-c", &container},
             {"--container", &container}, {"--signal", &signal}, {"--node", &node}}) {
      ASSIGN_OR_RETURN(taken, value(flag, out));
      if (taken) break;
    }
    if (taken) continue;
    if (!a.empty() && a[0] == '-') return Usage("unknown flag " + a + " for fault " + op);
    positional.push_back(a);
  }
  if (cmd.dir.empty()) return Usage("--dir is required");
  if (positional.size() > 1) return Usage("one target expected, got " + std::to_string(positional.size()));
  std::string target = positional.empty() ? "" : positional[0];
  nlohmann::json& r = cmd.request;
  r["op"] = op;
  if (op == "node-down") {
    if (target.empty()) return Usage("node-down needs a NODE");
    r["node"] = target;
    return cmd;
  }
  if (op == "partition" || op == "heal") {
    if (!node.empty() && !target.empty()) return Usage("give a POD or --node NODE, not both");
    if (!node.empty()) {
      r["node"] = node;
      return cmd;
    }
  } else if (!node.empty()) {
    return Usage("--node is not a flag of kill");
  }
  if (target.empty()) return Usage(op + " needs a POD" + (op == "kill" ? "" : " or --node NODE"));
  r["namespace"] = ns;
  r["pod"] = target;
  if (op == "kill") {
    auto sig = ParseSignal(signal);
    if (!sig.ok()) return Usage(std::string(sig.status().message()));
    r["container"] = container;
    r["signal"] = *sig;
  } else if (!container.empty()) {
    return Usage("-c is a flag of kill only");
  }
  return cmd;
}

int RunFault(const std::vector<std::string>& args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << kFaultUsage;
    return 0;
  }
  auto cmd = ParseFaultArgs(args);
  if (!cmd.ok()) {
    std::cerr << "localkube fault: " << cmd.status().message() << "\n\n" << kFaultUsage;
    return 2;
  }
  auto answer = ControlCall(cmd->dir + "/control.sock", cmd->request, std::chrono::seconds(60));
  if (!answer.ok()) {
    std::cerr << "localkube fault: " << answer.status().message() << "\n";
    return 1;
  }
  if (answer->contains("error")) {
    std::cerr << "localkube fault: " << (*answer)["error"].get<std::string>() << "\n";
    return 1;
  }
  std::cout << answer->value("message", "done") << "\n";
  return 0;
}

}  // namespace tusk::localkube
