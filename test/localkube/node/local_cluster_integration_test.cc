// A two-node LocalCluster over a real in-process Api: pods bound by hand
// (spec.nodeName) run as real processes, their status, the Nodes and Leases
// reach the API, Services route and resolve, and each fault does what it
// says. Needs root; a run leaves nothing behind (checked at the end of each
// test).
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include <httplib.h>

#include "common/base/files.h"
#include "test/localkube/net/ipam.h"
#include "test/localkube/node/cluster_fixture.h"

namespace tusk::localkube {
namespace {

using nlohmann::json;
using testing::MakeCluster;
using testing::TestCluster;
using std::chrono::seconds;

#define CLUSTER_OR_SKIP(t)                     \
  std::string why;                             \
  bool skip = false;                           \
  auto t = MakeCluster(&why, &skip);           \
  if (!t) {                                    \
    if (!skip) FAIL(why);                      \
    WARN(why);                                 \
    return;                                    \
  }

constexpr char kNode1[] = "localkube-node-1";
constexpr char kNode2[] = "localkube-node-2";

json Pod(const std::string& name, const std::string& node, const std::string& script,
         const json& container = json::object(), const json& extra_spec = json::object()) {
  json c = {{"name", "main"}, {"image", "debian:bookworm"}, {"command", {"sh", "-c", script}}};
  c.update(container);
  json spec = {{"nodeName", node}, {"containers", json::array({c})}, {"terminationGracePeriodSeconds", 1}};
  spec.update(extra_spec);
  return {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", {{"name", name}, {"namespace", "default"}}}, {"spec", spec}};
}

// An HTTP server pod answering /who with its name.
json WebPod(const std::string& name, const std::string& node) {
  return Pod(name, node,
             "mkdir -p /tmp/www && echo " + name + " > /tmp/www/who && cd /tmp/www && exec python3 -m http.server 8080",
             {{"readinessProbe", {{"tcpSocket", {{"port", 8080}}}, {"periodSeconds", 1}}}});
}

json Get(TestCluster& t, const std::string& gr, const std::string& ns, const std::string& name) {
  auto got = t.api.Get(gr, ns, name);
  return got.ok() ? *got : json();
}

bool Ready(const json& pod) {
  if (!pod.is_object() || !pod.contains("status")) return false;
  for (const auto& c : pod["status"].value("conditions", json::array())) {
    if (c["type"] == "Ready") return c["status"] == "True";
  }
  return false;
}

std::string Phase(const json& pod) { return pod.is_object() ? pod.value("/status/phase"_json_pointer, std::string()) : ""; }
std::string PodIp(const json& pod) { return pod.is_object() ? pod.value("/status/podIP"_json_pointer, std::string()) : ""; }

json WaitPod(TestCluster& t, const std::string& name, const std::function<bool(const json&)>& pred,
             Duration timeout = seconds(30)) {
  json pod;
  Eventually([&] { return pred(pod = Get(t, "pods", "default", name)); }, timeout);
  return pod;
}

std::string LogOf(TestCluster& t, const std::string& pod) {
  auto path = t.cluster->LogPath("default", pod, "main", false);
  return path.ok() ? ReadFile(*path).value_or("") : "";
}

bool LogHas(TestCluster& t, const std::string& pod, const std::string& text) {
  return Eventually([&] { return LogOf(t, pod).find(text) != std::string::npos; }, seconds(20));
}

std::string HttpGet(const std::string& ip, int port, const std::string& path) {
  httplib::Client client(ip, port);
  client.set_connection_timeout(seconds(1));
  client.set_read_timeout(seconds(2));
  auto res = client.Get(path.c_str());
  return res && res->status == 200 ? res->body : "";
}

std::string RenewTime(TestCluster& t, const std::string& node) {
  return Get(t, "leases.coordination.k8s.io", "kube-node-lease", node).value("/spec/renewTime"_json_pointer, std::string());
}

void CheckNothingLeft(std::unique_ptr<TestCluster> t) {
  const std::string prefix = t->network.prefix;
  t.reset();
  auto left = net::BridgeNetwork::FindLeftovers(prefix);
  REQUIRE(left.ok());
  CHECK(left->Describe() == "nothing");
}

json Endpoints(const std::string& name, const std::string& ip, int port) {
  return {{"apiVersion", "v1"},
          {"kind", "Endpoints"},
          {"metadata", {{"name", name}, {"namespace", "default"}}},
          {"subsets", json::array({{{"addresses", json::array({{{"ip", ip}}})},
                                    {"ports", json::array({{{"name", "http"}, {"port", port}}})}}})}};
}

}  // namespace

TEST_CASE("nodes register with a Lease, heartbeat, and a bound pod's status reaches the API", "[integration]") {
  CLUSTER_OR_SKIP(t);
  CHECK(t->cluster->NodeNames() == std::vector<std::string>{kNode1, kNode2});
  for (const char* node : {kNode1, kNode2}) {
    json n = Get(*t, "nodes", "", node);
    CHECK(n["metadata"]["labels"]["kubernetes.io/hostname"] == node);
    CHECK(n["status"]["nodeInfo"]["kubeletVersion"] == "v1.32.0");
    CHECK(n["status"]["addresses"][0]["address"] == t->cluster->host_ip());
    CHECK(Get(*t, "leases.coordination.k8s.io", "kube-node-lease", node)["spec"]["holderIdentity"] == node);
  }
  const std::string renewed = RenewTime(*t, kNode2);
  CHECK(Eventually([&] { return RenewTime(*t, kNode2) != renewed; }, seconds(10)));
  auto heartbeat = [&] {
    const json node = Get(*t, "nodes", "", kNode2);
    for (const auto& c : node["status"]["conditions"]) {
      if (c["type"] == "Ready") return c.value("lastHeartbeatTime", "");
    }
    return std::string();
  };
  const std::string beat = heartbeat();
  CHECK_FALSE(beat.empty());
  CHECK(Eventually([&] { return heartbeat() != beat; }, seconds(10)));

  REQUIRE(t->api.Create("pods", "default", Pod("hello", kNode1, "echo hello; exec sleep 1000")).ok());
  json pod = WaitPod(*t, "hello", [](const json& p) { return Phase(p) == "Running" && Ready(p); });
  CHECK(Phase(pod) == "Running");
  CHECK(net::ParseCidr(t->network.pod_cidr)->Contains(*net::ParseIpv4(PodIp(pod))));
  CHECK(pod["status"]["hostIP"] == t->cluster->host_ip());
  CHECK(pod["status"]["containerStatuses"][0]["state"].contains("running"));
  CHECK(LogHas(*t, "hello", "hello\n"));
  // Another node does not run what is not bound to it.
  CHECK(t->cluster->LogPath("default", "nope", "main", false).status().code() == StatusCode::kNotFound);
  CheckNothingLeft(std::move(t));
}

TEST_CASE("a Secret change appears in the mounted volume of a running pod", "[integration]") {
  CLUSTER_OR_SKIP(t);
  json secret = {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "creds"}}},
                 {"stringData", {{"password", "one"}}}};
  REQUIRE(t->api.Create("secrets", "default", secret).ok());
  REQUIRE(t->api.Create("pods", "default",
                        Pod("reader", kNode2,
                            "for i in $(seq 1 300); do echo \"pw=$(cat /etc/creds/password)\"; sleep 0.2; done; exec sleep 1000",
                            {{"volumeMounts", json::array({{{"name", "s"}, {"mountPath", "/etc/creds"}}})}},
                            {{"volumes", json::array({{{"name", "s"}, {"secret", {{"secretName", "creds"}}}}})}}))
              .ok());
  REQUIRE(LogHas(*t, "reader", "pw=one\n"));
  REQUIRE(t->api.Patch("secrets", "default", "creds", PatchType::kMerge, R"({"stringData":{"password":"two"}})").ok());
  CHECK(LogHas(*t, "reader", "pw=two\n"));
  CheckNothingLeft(std::move(t));
}

TEST_CASE("a pod gets a token bound to it, the CA and its bound claim's directory", "[integration]") {
  CLUSTER_OR_SKIP(t);
  // A claim bound by hand, as the local-path provisioner binds one.
  const std::string volume_dir = t->dir->path() + "/volumes/pvc-1";
  REQUIRE(MakeDirs(volume_dir, 0777).ok());
  json pv = {{"apiVersion", "v1"}, {"kind", "PersistentVolume"}, {"metadata", {{"name", "pvc-1"}}},
             {"spec", {{"capacity", {{"storage", "1Gi"}}}, {"accessModes", {"ReadWriteOnce"}},
                       {"hostPath", {{"path", volume_dir}}}}}};
  REQUIRE(t->api.Create("persistentvolumes", "", pv).ok());
  json pvc = {{"apiVersion", "v1"}, {"kind", "PersistentVolumeClaim"}, {"metadata", {{"name", "data"}}},
              {"spec", {{"accessModes", {"ReadWriteOnce"}}, {"resources", {{"requests", {{"storage", "1Gi"}}}}}}}};
  auto claim = t->api.Create("persistentvolumeclaims", "default", pvc);
  REQUIRE(claim.ok());
  json pod = Pod("sa", kNode1,
                 "echo written > /data/proof; echo token=$(cat /var/run/secrets/kubernetes.io/serviceaccount/token); "
                 "echo ca=$(head -1 /var/run/secrets/kubernetes.io/serviceaccount/ca.crt); exec sleep 1000",
                 {{"volumeMounts", json::array({{{"name", "data"}, {"mountPath", "/data"}}})}},
                 {{"volumes", json::array({{{"name", "data"}, {"persistentVolumeClaim", {{"claimName", "data"}}}}})}});
  // Admission mounts the token volume.
  REQUIRE(t->api.Create("pods", "default", pod).ok());
  // Unbound, the pod waits in ContainerCreating.
  json waiting = WaitPod(*t, "sa", [](const json& p) {
    return p.value("/status/containerStatuses/0/state/waiting/reason"_json_pointer, std::string()) == "ContainerCreating";
  });
  CHECK(Phase(waiting) == "Pending");
  json bound = (*claim).object;
  bound["spec"]["volumeName"] = "pvc-1";
  auto updated = t->api.Update("persistentvolumeclaims", "default", "data", bound);
  REQUIRE(updated.ok());
  json bound_status = updated->object;
  bound_status["status"] = {{"phase", "Bound"}};
  REQUIRE(t->api.UpdateStatus("persistentvolumeclaims", "default", bound_status).ok());
  REQUIRE(LogHas(*t, "sa", "token="));
  const std::string log = LogOf(*t, "sa");
  const size_t at = log.find("token=") + 6;
  const std::string token = log.substr(at, log.find('\n', at) - at);
  CHECK(log.find("ca=-----BEGIN CERTIFICATE-----\n") != std::string::npos);
  auto claims = t->tokens.Verify(token, std::chrono::duration_cast<std::chrono::seconds>(
                                            std::chrono::system_clock::now().time_since_epoch()).count());
  REQUIRE(claims.has_value());
  CHECK(claims->ns == "default");
  CHECK(claims->name == "default");
  REQUIRE(claims->pod.has_value());
  CHECK(claims->pod->uid == Get(*t, "pods", "default", "sa")["metadata"].value("uid", ""));
  auto user = t->api.AuthenticateToken(token, std::chrono::system_clock::now());
  REQUIRE(user.has_value());
  CHECK(user->name == "system:serviceaccount:default:default");
  CHECK(ReadFile(volume_dir + "/proof").value_or("") == "written\n");
  CheckNothingLeft(std::move(t));
}

TEST_CASE("deleting a pod stops it gracefully, then the object is gone", "[integration]") {
  CLUSTER_OR_SKIP(t);
  REQUIRE(t->api.Create("pods", "default",
                        Pod("graceful", kNode1, "trap 'echo got TERM; exit 0' TERM; while true; do sleep 0.1; done", json::object(),
                            {{"terminationGracePeriodSeconds", 20}}))
              .ok());
  json pod = WaitPod(*t, "graceful", [](const json& p) { return Phase(p) == "Running"; });
  REQUIRE(Phase(pod) == "Running");
  std::mutex mu;
  std::vector<std::pair<EventType, json>> events;
  ListOptions from;
  from.resource_version = pod["metadata"]["resourceVersion"];
  auto watch = t->api.WatchWithCallback("pods", "default", from, [&](EventType type, const json& o) {
    std::lock_guard<std::mutex> lock(mu);
    events.emplace_back(type, o);
  });
  REQUIRE(watch.ok());
  auto deleted = t->api.Delete("pods", "default", "graceful");
  REQUIRE(deleted.ok());
  CHECK(deleted->contains("/metadata/deletionTimestamp"_json_pointer));
  CHECK(Eventually([&] { return !t->api.Get("pods", "default", "graceful").ok(); }, seconds(15)));
  (*watch)->Stop();
  // The container answered SIGTERM (exit 0, not a SIGKILL's 137) before the
  // object went, and that last status was written.
  std::lock_guard<std::mutex> lock(mu);
  REQUIRE(events.size() >= 2);
  CHECK(events.back().first == EventType::kDeleted);
  const json& last = events.back().second;
  CHECK(last["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 0);
  CheckNothingLeft(std::move(t));
}

TEST_CASE("a pod removed from the API without grace is stopped on its node", "[integration]") {
  CLUSTER_OR_SKIP(t);
  REQUIRE(t->api.Create("pods", "default", WebPod("forced", kNode2)).ok());
  json pod = WaitPod(*t, "forced", Ready);
  const std::string ip = PodIp(pod);
  REQUIRE(TcpConnects(ip, 8080, 1000));
  DeleteOptions now;
  now.grace_period_seconds = 0;
  REQUIRE(t->api.Delete("pods", "default", "forced", now).ok());
  // Stopped with the pod's own grace period (1 s; the server, PID 1 of its
  // namespace, ignores SIGTERM), then forgotten by its node.
  CHECK(Eventually([&] { return !TcpConnects(ip, 8080, 300); }, seconds(10)));
  CHECK(Eventually([&] { return !t->cluster->LogPath("default", "forced", "main", false).ok(); }, seconds(10)));
  CheckNothingLeft(std::move(t));
}

TEST_CASE("Services: ClusterIP from the host, names inside pods, Endpoints changes redirect", "[integration]") {
  CLUSTER_OR_SKIP(t);
  REQUIRE(t->api.Create("pods", "default", WebPod("web-a", kNode1)).ok());
  REQUIRE(t->api.Create("pods", "default", WebPod("web-b", kNode2)).ok());
  const std::string ip_a = PodIp(WaitPod(*t, "web-a", Ready));
  const std::string ip_b = PodIp(WaitPod(*t, "web-b", Ready));
  REQUIRE_FALSE(ip_a.empty());
  REQUIRE_FALSE(ip_b.empty());
  const std::string cluster_ip = t->ServiceIp(10);
  json service = {{"apiVersion", "v1"},
                  {"kind", "Service"},
                  {"metadata", {{"name", "web"}}},
                  {"spec", {{"clusterIP", cluster_ip}, {"ports", json::array({{{"name", "http"}, {"port", 80}, {"targetPort", 8080}}})}}}};
  REQUIRE(t->api.Create("services", "default", service).ok());
  REQUIRE(t->api.Create("endpoints", "default", Endpoints("web", ip_a, 8080)).ok());
  CHECK(Eventually([&] { return HttpGet(cluster_ip, 80, "/who") == "web-a\n"; }, seconds(10)));
  REQUIRE(t->api.Update("endpoints", "default", "web", Endpoints("web", ip_b, 8080)).ok());
  CHECK(Eventually([&] { return HttpGet(cluster_ip, 80, "/who") == "web-b\n"; }, seconds(10)));

  // Inside a pod on the other node the name resolves to the ClusterIP.
  REQUIRE(t->api.Create("pods", "default",
                        Pod("client", kNode1,
                            "for i in $(seq 1 100); do getent hosts web.default.svc.cluster.local | sed 's/^/dns /'; "
                            "python3 -c \"import urllib.request as u; print('got', u.urlopen('http://web/who', timeout=2).read().decode().strip())\" "
                            "&& break; sleep 0.2; done; exec sleep 1000"))
              .ok());
  CHECK(LogHas(*t, "client", "dns " + cluster_ip));
  CHECK(LogHas(*t, "client", "got web-b\n"));
  // The Service deleted: its ClusterIP stops answering.
  REQUIRE(t->api.Delete("services", "default", "web").ok());
  CHECK(Eventually([&] { return !TcpConnects(cluster_ip, 80, 300); }, seconds(10)));
  CheckNothingLeft(std::move(t));
}

TEST_CASE("the kubernetes Service leads pods to the API server", "[integration]") {
  CLUSTER_OR_SKIP(t);
  json service = Get(*t, "services", "default", "kubernetes");
  CHECK(service["spec"]["clusterIP"] == t->ServiceIp(1));
  CHECK(service["spec"]["ports"][0]["port"] == 443);
  json endpoints = Get(*t, "endpoints", "default", "kubernetes");
  CHECK(endpoints["subsets"][0]["addresses"][0]["ip"] == t->cluster->host_ip());
  CHECK(endpoints["subsets"][0]["ports"][0]["port"] == t->loopback_api.port());
  REQUIRE(t->api.Create("pods", "default",
                        Pod("in-cluster", kNode2,
                            "echo \"host=$KUBERNETES_SERVICE_HOST port=$KUBERNETES_SERVICE_PORT\"; "
                            "for i in $(seq 1 100); do curl -s -m 2 "
                            "http://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/healthz && break; sleep 0.2; done; "
                            "echo; exec sleep 1000"))
              .ok());
  CHECK(LogHas(*t, "in-cluster", "host=" + t->ServiceIp(1) + " port=443\n"));
  CHECK(LogHas(*t, "in-cluster", "api-ok"));
  // The relay listens on the host's link address only, never on every address.
  CHECK(TcpConnects(t->cluster->host_ip(), t->loopback_api.port(), 1000));
  CheckNothingLeft(std::move(t));
}

TEST_CASE("fault kill signals one container or all, and unknown targets are NotFound", "[integration]") {
  CLUSTER_OR_SKIP(t);
  REQUIRE(t->api.Create("pods", "default", Pod("victim", kNode1, "trap 'exit 143' TERM; echo armed $(date +%s%N); while true; do sleep 0.2; done")).ok());
  REQUIRE(Phase(WaitPod(*t, "victim", [](const json& p) { return Phase(p) == "Running"; })) == "Running");
  REQUIRE(t->cluster->KillContainer("default", "victim", "main", SIGKILL).ok());
  json pod = WaitPod(*t, "victim", [](const json& p) {
    return p.value("/status/containerStatuses/0/restartCount"_json_pointer, 0) == 1;
  });
  CHECK(pod["status"]["containerStatuses"][0]["lastState"]["terminated"]["exitCode"] == 137);
  CHECK(t->cluster->KillContainer("default", "victim", "nope", SIGKILL).code() == StatusCode::kNotFound);
  CHECK(t->cluster->KillContainer("default", "ghost", "", SIGKILL).code() == StatusCode::kNotFound);
  CHECK(t->cluster->PartitionNode("no-such-node").code() == StatusCode::kNotFound);
  CHECK(t->cluster->NodeDown("no-such-node").code() == StatusCode::kNotFound);
  // Every container, with the signal asked for (the shell, PID 1 of its
  // namespace, hears SIGTERM because it traps it; restart back-off is 10 s).
  // Once the restarted shell has set its trap: before that, PID 1 would
  // ignore the signal.
  REQUIRE(Eventually([&] {
    auto path = t->cluster->LogPath("default", "victim", "main", false);
    return path.ok() && path->find("/1.log") != std::string::npos &&
           ReadFile(*path).value_or("").find("armed") != std::string::npos;
  }, seconds(30)));
  REQUIRE(t->cluster->KillContainer("default", "victim", "", SIGTERM).ok());
  pod = WaitPod(*t, "victim", [](const json& p) {
    return p.value("/status/containerStatuses/0/restartCount"_json_pointer, 0) == 2;
  });
  CHECK(pod["status"]["containerStatuses"][0]["lastState"]["terminated"]["exitCode"] == 143);
  CheckNothingLeft(std::move(t));
}

TEST_CASE("fault partition and heal of a pod: unreachable while its process keeps running", "[integration]") {
  CLUSTER_OR_SKIP(t);
  REQUIRE(t->api.Create("pods", "default", WebPod("island", kNode1)).ok());
  const std::string ip = PodIp(WaitPod(*t, "island", Ready));
  REQUIRE(TcpConnects(ip, 8080, 1000));
  REQUIRE(t->cluster->PartitionPod("default", "island").ok());
  CHECK_FALSE(TcpConnects(ip, 8080, 500));
  // Its readiness probe goes over the pod network too: the node reports it
  // not ready, and still Running.
  json pod = WaitPod(*t, "island", [](const json& p) { return !Ready(p); });
  CHECK_FALSE(Ready(pod));
  CHECK(Phase(pod) == "Running");
  REQUIRE(t->cluster->HealPod("default", "island").ok());
  CHECK(Eventually([&] { return TcpConnects(ip, 8080, 500); }, seconds(10)));
  CHECK(Ready(WaitPod(*t, "island", Ready)));
  CheckNothingLeft(std::move(t));
}

TEST_CASE("fault partition and heal of a node: its pods go dark, its agent goes quiet, then resyncs", "[integration]") {
  CLUSTER_OR_SKIP(t);
  REQUIRE(t->api.Create("pods", "default", WebPod("before", kNode2)).ok());
  const std::string ip_before = PodIp(WaitPod(*t, "before", Ready));
  REQUIRE(TcpConnects(ip_before, 8080, 1000));
  REQUIRE(t->cluster->PartitionNode(kNode2).ok());
  const std::string renew_at_partition = RenewTime(*t, kNode2);
  CHECK_FALSE(TcpConnects(ip_before, 8080, 500));

  // A pod deleted meanwhile keeps running: the node does not hear of it.
  REQUIRE(t->api.Delete("pods", "default", "before").ok());
  // A pod bound to the node meanwhile starts there, cut off, and the API
  // hears nothing of it.
  REQUIRE(t->api.Create("pods", "default",
                        Pod("during", kNode2,
                            "getent hosts $(hostname) | sed 's/^/ip /'; cd /tmp && exec python3 -m http.server 8080"))
              .ok());
  REQUIRE(LogHas(*t, "during", "ip "));
  const std::string log = LogOf(*t, "during");
  const std::string ip_during = log.substr(log.find("ip ") + 3, log.find_first_of(" \t\n", log.find("ip ") + 3) - log.find("ip ") - 3);
  REQUIRE_FALSE(ip_during.empty());
  CHECK_FALSE(TcpConnects(ip_during, 8080, 500));
  // Events are handled in order: "during" running means the deletion of
  // "before" was seen, and deferred.
  CHECK(t->cluster->LogPath("default", "before", "main", false).ok());
  CHECK(Get(*t, "pods", "default", "before").contains("/metadata/deletionTimestamp"_json_pointer));
  // Observed for four heartbeat intervals: no renewal, no pod status.
  CHECK_FALSE(Eventually([&] { return RenewTime(*t, kNode2) != renew_at_partition; }, seconds(2)));
  CHECK(Phase(Get(*t, "pods", "default", "during")) == "Pending");
  CHECK(PodIp(Get(*t, "pods", "default", "during")).empty());
  // The other node carries on.
  const std::string renew_other = RenewTime(*t, kNode1);
  CHECK(Eventually([&] { return RenewTime(*t, kNode1) != renew_other; }, seconds(10)));

  REQUIRE(t->cluster->HealNode(kNode2).ok());
  CHECK(Eventually([&] { return RenewTime(*t, kNode2) != renew_at_partition; }, seconds(10)));
  CHECK(Eventually([&] { return TcpConnects(ip_during, 8080, 500); }, seconds(10)));
  // The deferred deletion finishes: stopped, then the object is gone.
  CHECK(Eventually([&] { return !t->api.Get("pods", "default", "before").ok(); }, seconds(15)));
  CHECK_FALSE(t->cluster->LogPath("default", "before", "main", false).ok());
  json during = WaitPod(*t, "during", [](const json& p) { return Phase(p) == "Running"; });
  CHECK(Phase(during) == "Running");
  CHECK(PodIp(during) == ip_during);
  CheckNothingLeft(std::move(t));
}

TEST_CASE("fault node-down: every pod of the node dies and its heartbeats stop for good", "[integration]") {
  CLUSTER_OR_SKIP(t);
  REQUIRE(t->api.Create("pods", "default", WebPod("doomed", kNode1)).ok());
  REQUIRE(t->api.Create("pods", "default", WebPod("survivor", kNode2)).ok());
  const std::string ip_doomed = PodIp(WaitPod(*t, "doomed", Ready));
  const std::string ip_survivor = PodIp(WaitPod(*t, "survivor", Ready));
  REQUIRE(TcpConnects(ip_doomed, 8080, 1000));
  REQUIRE(t->cluster->NodeDown(kNode1).ok());
  const std::string renew_at_down = RenewTime(*t, kNode1);
  CHECK_FALSE(TcpConnects(ip_doomed, 8080, 500));
  CHECK(t->cluster->KillContainer("default", "doomed", "", SIGKILL).code() == StatusCode::kNotFound);
  CHECK_FALSE(t->cluster->PartitionNode(kNode1).ok());
  // The pod object stays (the node lifecycle controller's job), its status as last reported.
  CHECK(Phase(Get(*t, "pods", "default", "doomed")) == "Running");
  CHECK_FALSE(Eventually([&] { return RenewTime(*t, kNode1) != renew_at_down; }, seconds(2)));
  CHECK(TcpConnects(ip_survivor, 8080, 1000));
  CheckNothingLeft(std::move(t));
}

}  // namespace tusk::localkube
