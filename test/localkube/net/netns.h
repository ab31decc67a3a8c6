// Small tools for the network namespaces localkube creates: running `ip`
// (iproute2) commands, batches of them in one namespace, and running a
// function on a thread that has joined a namespace (sockets made there stay
// in it).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/base/status.h"

namespace tusk::localkube::net {

// Runs `ip ARGS...`; the error carries ip's own message.
Status Ip(const std::vector<std::string>& args);
StatusOr<std::string> IpOutput(const std::vector<std::string>& args);
// Runs several ip commands (one per line, as `ip -batch` reads them) in the
// network namespace `netns` ("" for the host's).
Status IpBatch(const std::string& netns, const std::vector<std::string>& commands);

// Runs `fn` on a short-lived thread that joined the network namespace at
// `netns_path`; returns what `fn` returns.
Status InNetns(const std::string& netns_path, const std::function<Status()>& fn);

// Network namespaces named by `ip netns` (under /run/netns).
StatusOr<std::vector<std::string>> ListNetns();
std::string NetnsPath(const std::string& name);

}  // namespace tusk::localkube::net
