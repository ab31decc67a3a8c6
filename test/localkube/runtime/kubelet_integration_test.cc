// Pods as real processes on a real bridge: these tests need root and leave
// nothing behind (TestNode tears everything down, also on failure).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <httplib.h>

#include "common/base/files.h"
#include "common/base/subprocess.h"
#include "test/localkube/net/service_proxy.h"
#include "test/localkube/runtime/kubelet_fixture.h"
#include "test/localkube/runtime/probe_runner.h"
#include "test/localkube/apiserver/service_accounts.h"

namespace tusk::localkube {
namespace {

using nlohmann::json;
using testing::PhaseOf;
using testing::TestNode;
using std::chrono::seconds;

// Not being root skips the test (and says so); any other setup failure fails it.
#define NODE_OR_SKIP(node)                   \
  std::string why;                           \
  bool skip = false;                         \
  auto node = TestNode::Make(&why, &skip);   \
  if (!node) {                               \
    if (!skip) FAIL(why);                    \
    WARN(why);                               \
    return;                                  \
  }

std::string LogOf(TestNode& node, const std::string& uid, const std::string& container = "main",
                  bool previous = false) {
  auto path = node.kubelet().LogPath(uid, container, previous);
  return path.ok() ? ReadFile(*path).value_or("") : "";
}

bool LogHas(TestNode& node, const std::string& uid, const std::string& text, const std::string& container = "main") {
  return Eventually([&] { return LogOf(node, uid, container).find(text) != std::string::npos; }, seconds(20));
}

std::string NsLink(pid_t pid, const char* ns) {
  std::error_code ec;
  return std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/ns/" + ns, ec).string();
}

// An HTTP server pod that answers /who with `name`.
json WebPod(const std::string& name) {
  return TestNode::Pod(name,
                       {"sh", "-c",
                        "mkdir -p /tmp/www && echo " + name +
                            " > /tmp/www/who && cd /tmp/www && exec python3 -m http.server 8080 --bind 0.0.0.0"},
                       {{"readinessProbe", {{"httpGet", {{"path", "/who"}, {"port", 8080}}}, {"periodSeconds", 1}}}});
}

bool Ready(const json& s) {
  for (const auto& c : s.value("conditions", json::array())) {
    if (c["type"] == "Ready") return c["status"] == "True";
  }
  return false;
}

std::string PodIp(TestNode& node, const std::string& uid) { return node.statuses().Latest(uid).value("podIP", ""); }

std::string HttpGet(const std::string& ip, int port, const std::string& path) {
  httplib::Client client(ip, port);
  client.set_connection_timeout(std::chrono::seconds(2));
  client.set_read_timeout(std::chrono::seconds(2));
  auto res = client.Get(path);
  return res && res->status == 200 ? res->body : "";
}

// Whether the mount at "/" in a mountinfo listing is a tmpfs (a pod's
// private root) rather than the host's root filesystem.
bool RootIsTmpfs(const std::string& mountinfo) {
  std::istringstream in(mountinfo);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, dev, root, point;
    f >> id >> parent >> dev >> root >> point;
    if (point == "/") return line.find(" - tmpfs ") != std::string::npos;
  }
  return false;
}

StatusOr<SubprocessResult> Run(std::vector<std::string> argv) {
  SubprocessOptions opts;
  opts.argv = std::move(argv);
  return RunSubprocess(opts, seconds(10));
}

}  // namespace

TEST_CASE("a pod's process is PID 1 in its own namespaces, named after the pod, as its runAsUser", "[integration]") {
  NODE_OR_SKIP(node);
  json pod = TestNode::Pod(
      "pg-1", {"sh", "-c", "echo host=$(hostname) uid=$(id -u) user=$(id -un) pid=$$$$ cwd=$(pwd); exec sleep 1000"},
      {{"image", "ghcr.io/cloudnative-pg/postgresql:15.6"}, {"workingDir", "/var/lib/postgresql"}},
      {{"securityContext", {{"runAsUser", 26}, {"runAsGroup", 26}, {"fsGroup", 26}}},
       {"volumes", json::array({{{"name", "data"}, {"emptyDir", json::object()}}})}});
  pod["spec"]["containers"][0]["volumeMounts"] = json::array({{{"name", "data"}, {"mountPath", "/var/lib/postgresql"}}});
  REQUIRE(node->kubelet().SyncPod(pod).ok());
  REQUIRE(node->statuses().WaitFor("pg-1-uid", [](const json& s) { return PhaseOf(s) == "Running"; }, seconds(20)));
  REQUIRE(LogHas(*node, "pg-1-uid", "host="));
  const std::string log = LogOf(*node, "pg-1-uid");
  CHECK(log.find("host=pg-1 uid=26 user=postgres pid=1 cwd=/var/lib/postgresql") != std::string::npos);

  auto pid = node->kubelet().ContainerPid("pg-1-uid", "main");
  REQUIRE(pid.ok());
  for (const char* ns : {"pid", "mnt", "uts", "net", "ipc"}) {
    INFO(ns);
    CHECK(NsLink(*pid, ns) != NsLink(::getpid(), ns));
  }
  // The host sees the container's sleep; inside its namespace it is PID 1.
  auto proc_status = ReadFile("/proc/" + std::to_string(*pid) + "/status");
  REQUIRE(proc_status.ok());
  CHECK(proc_status->find("NSpid:\t" + std::to_string(*pid) + "\t1\n") != std::string::npos);
  json status = node->statuses().Latest("pg-1-uid");
  CHECK(status["containerStatuses"][0]["ready"] == true);
  CHECK(!status.value("podIP", "").empty());
  CHECK(status["hostIP"] == node->network().host_ip());
}

TEST_CASE("init containers run in order before the main container, sharing an emptyDir", "[integration]") {
  NODE_OR_SKIP(node);
  json pod = TestNode::Pod("init-1", {"sh", "-c", "echo got=$(cat /work/order) env=$POD_NS; exec sleep 1000"},
                           {{"volumeMounts", json::array({{{"name", "w"}, {"mountPath", "/work"}}})},
                            {"env", json::array({{{"name", "POD_NS"},
                                                  {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.namespace"}}}}}}})}},
                           {{"volumes", json::array({{{"name", "w"}, {"emptyDir", json::object()}}})}});
  pod["spec"]["initContainers"] = json::array(
      {{{"name", "first"}, {"image", "debian:bookworm"}, {"command", {"sh", "-c", "printf 1 >> /work/order"}},
        {"volumeMounts", json::array({{{"name", "w"}, {"mountPath", "/work"}}})}},
       {{"name", "second"}, {"image", "debian:bookworm"}, {"command", {"sh", "-c", "printf 2 >> /work/order"}},
        {"volumeMounts", json::array({{{"name", "w"}, {"mountPath", "/work"}}})}}});
  REQUIRE(node->kubelet().SyncPod(pod).ok());
  REQUIRE(LogHas(*node, "init-1-uid", "got="));
  CHECK(LogOf(*node, "init-1-uid").find("got=12 env=default") != std::string::npos);
  json s = node->statuses().Latest("init-1-uid");
  CHECK(s["initContainerStatuses"][0]["state"]["terminated"]["reason"] == "Completed");
  CHECK(s["initContainerStatuses"][1]["state"]["terminated"]["reason"] == "Completed");
}

TEST_CASE("an image without a table entry leaves the pod in ErrImagePull naming the image", "[integration]") {
  NODE_OR_SKIP(node);
  REQUIRE(node->kubelet().SyncPod(TestNode::Pod("nope", {"true"}, {{"image", "quay.io/nobody/nothing:1"}})).ok());
  REQUIRE(node->statuses().WaitFor(
      "nope-uid",
      [](const json& s) {
        const json w = s["containerStatuses"][0]["state"].value("waiting", json::object());
        return w.value("reason", "") == "ErrImagePull" &&
               w.value("message", "").find("quay.io/nobody/nothing:1") != std::string::npos;
      },
      seconds(20)));
  CHECK(PhaseOf(node->statuses().Latest("nope-uid")) == "Pending");
}

TEST_CASE("a crashing container shows its exit code and backs off, and logs keep the previous run", "[integration]") {
  NODE_OR_SKIP(node);
  REQUIRE(node->kubelet().SyncPod(TestNode::Pod("crash", {"sh", "-c", "echo run; exit 3"})).ok());
  REQUIRE(node->statuses().WaitFor(
      "crash-uid",
      [](const json& s) {
        const json& c = s["containerStatuses"][0];
        return c["state"].value("waiting", json::object()).value("reason", "") == "CrashLoopBackOff" &&
               c["restartCount"].get<int>() >= 2;
      },
      seconds(30)));
  json c = node->statuses().Latest("crash-uid")["containerStatuses"][0];
  CHECK(c["lastState"]["terminated"]["exitCode"] == 3);
  CHECK(c["lastState"]["terminated"]["reason"] == "Error");
  CHECK(PhaseOf(node->statuses().Latest("crash-uid")) == "Running");
  CHECK(LogOf(*node, "crash-uid", "main", true) == "run\n");
}

TEST_CASE("a failing liveness probe restarts the container", "[integration]") {
  NODE_OR_SKIP(node);
  json pod = TestNode::Pod(
      "live", {"sh", "-c", "echo started; touch /tmp/healthy; sleep 1; rm /tmp/healthy; exec sleep 1000"},
      {{"livenessProbe",
        {{"exec", {{"command", {"cat", "/tmp/healthy"}}}}, {"periodSeconds", 1}, {"failureThreshold", 1}}}});
  REQUIRE(node->kubelet().SyncPod(pod).ok());
  REQUIRE(node->statuses().WaitFor(
      "live-uid", [](const json& s) { return s["containerStatuses"][0]["restartCount"].get<int>() >= 1; },
      seconds(30)));
  json c = node->statuses().Latest("live-uid")["containerStatuses"][0];
  // sleep as PID 1 ignores SIGTERM, so the kill came after the grace period.
  CHECK(c["lastState"]["terminated"]["exitCode"] == 137);
  CHECK(LogOf(*node, "live-uid", "main", true) == "started\n");
}

TEST_CASE("pods reach each other and the host reaches pods by IP", "[integration]") {
  NODE_OR_SKIP(node);
  REQUIRE(node->kubelet().SyncPod(WebPod("web-a")).ok());
  REQUIRE(node->statuses().WaitFor("web-a-uid", Ready, seconds(30)));
  const std::string ip = PodIp(*node, "web-a-uid");
  CHECK(HttpGet(ip, 8080, "/who") == "web-a\n");
  json client = TestNode::Pod(
      "client", {"sh", "-c",
                 "for i in $(seq 50); do python3 -c \"import urllib.request as u; print('got', u.urlopen('http://" + ip +
                     ":8080/who', timeout=2).read().decode().strip())\" && break; sleep 0.2; done; exec sleep 1000"});
  REQUIRE(node->kubelet().SyncPod(client).ok());
  CHECK(LogHas(*node, "client-uid", "got web-a"));
}

TEST_CASE("a ClusterIP sends new connections to ready endpoints and follows endpoint changes", "[integration]") {
  NODE_OR_SKIP(node);
  REQUIRE(node->kubelet().SyncPod(WebPod("web-a")).ok());
  REQUIRE(node->kubelet().SyncPod(WebPod("web-b")).ok());
  REQUIRE(node->statuses().WaitFor("web-a-uid", Ready, seconds(30)));
  REQUIRE(node->statuses().WaitFor("web-b-uid", Ready, seconds(30)));
  auto cluster_ip = node->network().AllocateClusterIp();
  REQUIRE(cluster_ip.ok());
  json service = {{"metadata", {{"name", "web"}, {"namespace", "default"}}},
                  {"spec", {{"clusterIP", *cluster_ip}, {"ports", json::array({{{"name", "http"}, {"port", 80}}})}}}};
  auto endpoints_for = [&](const std::string& uid) {
    return json{{"subsets", json::array({{{"addresses", json::array({{{"ip", PodIp(*node, uid)}}})},
                                          {"ports", json::array({{{"name", "http"}, {"port", 8080}}})}}})}};
  };
  net::ServiceProxy proxy(node->network().netns_path());
  REQUIRE(proxy.Apply(*net::RouteFor(service, endpoints_for("web-a-uid"))).ok());
  CHECK(HttpGet(*cluster_ip, 80, "/who") == "web-a\n");
  REQUIRE(proxy.Apply(*net::RouteFor(service, endpoints_for("web-b-uid"))).ok());
  CHECK(HttpGet(*cluster_ip, 80, "/who") == "web-b\n");
  // No ready endpoints: the connection is refused or closed, never relayed.
  REQUIRE(proxy.Apply(*net::RouteFor(service, json())).ok());
  CHECK(HttpGet(*cluster_ip, 80, "/who").empty());
  REQUIRE(proxy.Apply(*net::RouteFor(service, endpoints_for("web-a-uid"))).ok());

  // Inside a pod, every name form resolves to the ClusterIP and works.
  node->kubelet().SetDnsRecords(net::DnsRecordsFor(service, nullptr));
  json client = TestNode::Pod(
      "client", {"sh", "-c",
                 "getent hosts web web.default web.default.svc web.default.svc.cluster.local | sed 's/^/dns /'; "
                 "python3 -c \"import urllib.request as u; print('got', u.urlopen('http://web/who', timeout=2).read().decode().strip())\"; "
                 "exec sleep 1000"});
  REQUIRE(node->kubelet().SyncPod(client).ok());
  REQUIRE(LogHas(*node, "client-uid", "got "));
  const std::string log = LogOf(*node, "client-uid");
  CHECK(log.find("got web-a") != std::string::npos);
  size_t lines = 0;
  for (size_t at = log.find("dns " + *cluster_ip); at != std::string::npos; at = log.find("dns " + *cluster_ip, at + 1)) {
    ++lines;
  }
  CHECK(lines == 4);
  // Later Service changes reach the running pod's hosts file in place.
  json other = {{"metadata", {{"name", "db"}, {"namespace", "prod"}}}, {"spec", {{"clusterIP", "10.1.2.3"}}}};
  auto records = net::DnsRecordsFor(service, nullptr);
  auto more = net::DnsRecordsFor(other, nullptr);
  records.insert(records.end(), more.begin(), more.end());
  node->kubelet().SetDnsRecords(records);
  auto client_pid = node->kubelet().ContainerPid("client-uid", "main");
  REQUIRE(client_pid.ok());
  CHECK(ReadFile("/proc/" + std::to_string(*client_pid) + "/root/etc/hosts").value_or("").find(
            "10.1.2.3\tdb.prod.svc.cluster.local db.prod.svc db.prod\n") != std::string::npos);
  CHECK(node->network().ReleaseClusterIp(*cluster_ip).ok());
}

TEST_CASE("a Secret volume is replaced atomically in a running pod", "[integration]") {
  NODE_OR_SKIP(node);
  node->objects().Update([](MapObjectSource& o) { o.secrets["default/creds"] = {{"stringData", {{"password", "one"}}}}; });
  json pod = TestNode::Pod("sec", {"sleep", "1000"},
                           {{"volumeMounts", json::array({{{"name", "s"}, {"mountPath", "/etc/creds"}}})}},
                           {{"volumes", json::array({{{"name", "s"}, {"secret", {{"secretName", "creds"}, {"defaultMode", 0400}}}}})}});
  REQUIRE(node->kubelet().SyncPod(pod).ok());
  REQUIRE(node->statuses().WaitFor("sec-uid", [](const json& s) { return PhaseOf(s) == "Running"; }, seconds(20)));
  auto pid = node->kubelet().ContainerPid("sec-uid", "main");
  REQUIRE(pid.ok());
  const std::string in_pod = "/proc/" + std::to_string(*pid) + "/root/etc/creds";
  CHECK(ReadFile(in_pod + "/password").value_or("") == "one");
  node->objects().Update([](MapObjectSource& o) { o.secrets["default/creds"] = {{"stringData", {{"password", "two"}}}}; });
  CHECK(Eventually([&] { return ReadFile(in_pod + "/password").value_or("") == "two"; }, seconds(10)));
  CHECK(std::filesystem::is_symlink(in_pod + "/..data"));
  CHECK(std::filesystem::read_symlink(in_pod + "/password") == "..data/password");
}

TEST_CASE("the service-account volume carries token, ca.crt and namespace", "[integration]") {
  NODE_OR_SKIP(node);
  node->objects().Update([](MapObjectSource& o) {
    o.tokens["default/default"] = {"tok-123", std::chrono::system_clock::now() + std::chrono::hours(1), 3600};
    o.config_maps["default/kube-root-ca.crt"] = {{"data", {{"ca.crt", "-----BEGIN CERTIFICATE-----\n"}}}};
  });
  json pod = WithServiceAccountToken(TestNode::Pod("sa", {"sleep", "1000"}), "abcde");
  REQUIRE(node->kubelet().SyncPod(pod).ok());
  REQUIRE(node->statuses().WaitFor("sa-uid", [](const json& s) { return PhaseOf(s) == "Running"; }, seconds(20)));
  auto pid = node->kubelet().ContainerPid("sa-uid", "main");
  REQUIRE(pid.ok());
  // /var/run is a link to /run inside the pod; read through the real path,
  // as /proc/PID/root does not resolve the pod's absolute links.
  const std::string dir = "/proc/" + std::to_string(*pid) + "/root/run/secrets/kubernetes.io/serviceaccount";
  CHECK(ReadFile(dir + "/token").value_or("") == "tok-123");
  CHECK(ReadFile(dir + "/namespace").value_or("") == "default");
  CHECK(ReadFile(dir + "/ca.crt").value_or("") == "-----BEGIN CERTIFICATE-----\n");
  // Nothing was created on the host on the way.
  CHECK_FALSE(PathExists("/run/secrets/kubernetes.io/serviceaccount"));
}

TEST_CASE("a partitioned pod keeps running but cannot be reached until healed", "[integration]") {
  NODE_OR_SKIP(node);
  REQUIRE(node->kubelet().SyncPod(WebPod("web-a")).ok());
  REQUIRE(node->statuses().WaitFor("web-a-uid", Ready, seconds(30)));
  const std::string ip = PodIp(*node, "web-a-uid");
  REQUIRE(TcpConnects(ip, 8080, 1000));
  REQUIRE(node->network().Partition("web-a-uid").ok());
  CHECK_FALSE(TcpConnects(ip, 8080, 500));
  auto pid = node->kubelet().ContainerPid("web-a-uid", "main");
  REQUIRE(pid.ok());
  CHECK(::kill(*pid, 0) == 0);
  // The readiness probe goes over the pod network too, so the pod turns
  // not ready as it would behind a real network cut.
  CHECK(node->statuses().WaitFor("web-a-uid", [](const json& s) { return !Ready(s); }, seconds(30)));
  REQUIRE(node->network().Heal("web-a-uid").ok());
  CHECK(Eventually([&] { return TcpConnects(ip, 8080, 500); }, seconds(10)));
  CHECK(node->statuses().WaitFor("web-a-uid", Ready, seconds(30)));
}

TEST_CASE("stopping a node leaves no namespace, interface, mount or process behind", "[integration]") {
  std::string prefix, state_dir;
  pid_t container_pid = -1;
  {
    NODE_OR_SKIP(node);
    prefix = node->prefix();
    REQUIRE(node->kubelet().SyncPod(TestNode::Pod("sleeper", {"sleep", "1000"})).ok());
    REQUIRE(node->statuses().WaitFor("sleeper-uid", [](const json& s) { return PhaseOf(s) == "Running"; }, seconds(20)));
    container_pid = *node->kubelet().ContainerPid("sleeper-uid", "main");
    state_dir = node->state_dir();
    // The container's root and binds live in its own mount namespace only.
    CHECK(ReadFile("/proc/self/mountinfo").value_or("").find(state_dir) == std::string::npos);
    CHECK(RootIsTmpfs(ReadFile("/proc/" + std::to_string(container_pid) + "/mountinfo").value_or("")));
    auto during = net::BridgeNetwork::FindLeftovers(prefix);
    REQUIRE(during.ok());
    CHECK(during->netns.size() == 2);  // the network's and the pod's
    CHECK(during->links.size() == 1);  // the host end of the link
  }
  auto after = net::BridgeNetwork::FindLeftovers(prefix);
  REQUIRE(after.ok());
  INFO(after->Describe());
  CHECK(after->empty());
  CHECK(::kill(container_pid, 0) != 0);
  CHECK(ReadFile("/proc/self/mountinfo").value_or("").find(state_dir) == std::string::npos);
  CHECK_FALSE(PathExists(state_dir));
  auto host_addrs = Run({"ip", "-o", "addr", "show"});
  REQUIRE(host_addrs.ok());
  CHECK(host_addrs->stdout_data.find(prefix + "-") == std::string::npos);
}

TEST_CASE("cleanup after a node process is SIGKILLed removes its namespaces, links and running pods", "[integration]") {
  if (::geteuid() != 0) {
    WARN("skipped: needs root");
    return;
  }
  // The node runs in a child process that dies without any cleanup of its
  // own, as localkube would in a crash; its pod keeps running.
  int report[2];
  REQUIRE(::pipe(report) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(report[0]);
    std::string why;
    bool skip = false;
    auto node = TestNode::Make(&why, &skip);
    std::string line = "error";
    if (node && node->kubelet().SyncPod(TestNode::Pod("orphan", {"sleep", "1000"})).ok() &&
        node->statuses().WaitFor("orphan-uid", [](const json& st) { return PhaseOf(st) == "Running"; }, seconds(20))) {
      line = node->prefix() + " " + std::to_string(*node->kubelet().ContainerPid("orphan-uid", "main")) + " " +
             node->state_dir() + "\n";
    }
    (void)!::write(report[1], line.data(), line.size());
    ::pause();
    ::_exit(0);
  }
  ::close(report[1]);
  std::string line;
  char buf[512];
  ssize_t n;
  while ((n = ::read(report[0], buf, sizeof buf)) > 0) {
    line.append(buf, static_cast<size_t>(n));
    if (line.find('\n') != std::string::npos) break;
  }
  ::close(report[0]);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  std::istringstream words(line);
  std::string prefix, state_dir;
  pid_t orphan = -1;
  words >> prefix >> orphan >> state_dir;
  REQUIRE(orphan > 0);
  auto before = net::BridgeNetwork::FindLeftovers(prefix);
  REQUIRE(before.ok());
  CHECK(before->netns.size() == 2);
  CHECK(::kill(orphan, 0) == 0);  // the pod outlived its node

  REQUIRE(net::BridgeNetwork::Cleanup(prefix).ok());
  auto after = net::BridgeNetwork::FindLeftovers(prefix);
  REQUIRE(after.ok());
  INFO(after->Describe());
  CHECK(after->empty());
  CHECK(Eventually([&] { return ::kill(orphan, 0) != 0; }, seconds(5)));
  RemoveAll(state_dir).IgnoreError();
}

TEST_CASE("cleanup removes what a crashed run left: namespaces, their processes, host links", "[integration]") {
  if (::geteuid() != 0) {
    WARN("skipped: needs root");
    return;
  }
  const std::string prefix = "lkc" + std::to_string(::getpid() % 1000);
  // What a dead localkube leaves: a namespace with a process in it and a
  // host interface.
  REQUIRE(Run({"ip", "netns", "add", prefix + "-p7"}).ok());
  SubprocessOptions orphan;
  orphan.argv = {"ip", "netns", "exec", prefix + "-p7", "sleep", "1000"};
  orphan.stdout_mode = OutputMode::kDiscard;
  orphan.stderr_mode = OutputMode::kDiscard;
  auto sleeper = Subprocess::Start(orphan);
  REQUIRE(sleeper.ok());
  REQUIRE(Run({"ip", "link", "add", prefix + "-host", "type", "dummy"}).ok());
  REQUIRE(Eventually([&] {
    auto l = net::BridgeNetwork::FindLeftovers(prefix);
    return l.ok() && !l->pids.empty();
  }, seconds(5)));

  REQUIRE(net::BridgeNetwork::Cleanup(prefix).ok());
  auto after = net::BridgeNetwork::FindLeftovers(prefix);
  REQUIRE(after.ok());
  INFO(after->Describe());
  CHECK(after->empty());
  CHECK(Eventually([&] { return (*sleeper)->Poll().ok() && (*sleeper)->reaped(); }, seconds(5)));
}

}  // namespace tusk::localkube
