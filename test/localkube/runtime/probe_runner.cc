#include "test/localkube/runtime/probe_runner.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

#include "common/base/subprocess.h"

namespace tusk::localkube {

bool TcpConnects(const std::string& ip, int port, int timeout_ms) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) != 1) return false;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    ok = true;
  } else if (errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, timeout_ms) == 1) {
      int err = 0;
      socklen_t len = sizeof err;
      ok = ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
    }
  }
  ::close(fd);
  return ok;
}

bool RealProbeRunner::Run(const ProbeSpec& probe, const ContainerSpec& container, const ProbeTarget& target) {
  const int timeout_ms = probe.timeout_seconds * 1000;
  if (probe.kind == ProbeSpec::Kind::kExec) {
    auto nsenter = FindProgram("nsenter");
    if (!nsenter.ok() || probe.command.empty()) return false;
    SubprocessOptions opts;
    opts.argv = {*nsenter, "--target", std::to_string(target.pid), "--mount", "--uts", "--ipc", "--net", "--pid",
                 "--setgid", std::to_string(target.gid), "--setuid", std::to_string(target.uid), "--"};
    opts.argv.insert(opts.argv.end(), probe.command.begin(), probe.command.end());
    opts.env = target.env;
    opts.inherit_env = false;
    opts.stdout_mode = OutputMode::kDiscard;
    opts.stderr_mode = OutputMode::kDiscard;
    auto result = RunSubprocess(opts, std::chrono::milliseconds(timeout_ms));
    return result.ok() && !result->timed_out && result->exit.success();
  }
  auto port = ResolvePort(probe.port, container);
  if (!port.ok()) return false;
  const std::string host = probe.host.empty() ? target.pod_ip : probe.host;
  if (probe.kind == ProbeSpec::Kind::kTcpSocket) return TcpConnects(host, *port, timeout_ms);
  const auto timeout = std::chrono::milliseconds(timeout_ms);
  auto get = [&](auto& client) {
    client.set_connection_timeout(timeout);
    client.set_read_timeout(timeout);
    httplib::Result res = client.Get(probe.path);
    return res && res->status >= 200 && res->status < 400;
  };
  if (probe.scheme == "HTTPS") {
    httplib::SSLClient client(host, *port);
    client.enable_server_certificate_verification(false);  // as the kubelet does
    return get(client);
  }
  httplib::Client client(host, *port);
  return get(client);
}

}  // namespace tusk::localkube
