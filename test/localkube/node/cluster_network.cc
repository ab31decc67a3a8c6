#include "test/localkube/node/cluster_network.h"

#include "test/localkube/net/ipam.h"
#include "test/localkube/node/api_object_source.h"

namespace tusk::localkube {
namespace {

using nlohmann::json;

constexpr char kRelayKey[] = "localkube/apiserver-relay";

std::string KeyOf(const json& o) {
  return o.value("/metadata/namespace"_json_pointer, std::string()) + "/" +
         o.value("/metadata/name"_json_pointer, std::string());
}

std::string DnsFingerprint(const std::vector<net::DnsRecord>& records) {
  std::string s;
  for (const auto& r : records) {
    s += r.name + "|" + r.ns + "|" + r.short_name;
    for (const auto& ip : r.ips) s += "|" + ip;
    s += "\n";
  }
  return s;
}

// Create, or replace what an earlier run stored (its API port differs).
Status Upsert(Api* api, const std::string& gr, const std::string& ns, json object) {
  const std::string name = object["metadata"]["name"];
  auto current = api->Get(gr, ns, name);
  if (!current.ok()) {
    if (current.error().code != 404) return FromApiError(current.error());
    auto created = api->Create(gr, ns, object);
    return created.ok() ? OkStatus() : FromApiError(created.error());
  }
  json updated = *current;
  for (const auto& [key, value] : object.items()) {
    if (key == "metadata") {
      updated["metadata"]["labels"] = value.value("labels", json::object());
    } else {
      updated[key] = value;
    }
  }
  auto written = api->Update(gr, ns, name, updated);
  return written.ok() ? OkStatus() : FromApiError(written.error());
}

}  // namespace

StatusOr<std::unique_ptr<ClusterNetwork>> ClusterNetwork::Create(Api* api, ClusterNetworkConfig config) {
  std::unique_ptr<ClusterNetwork> network(new ClusterNetwork(api, std::move(config)));
  ASSIGN_OR_RETURN(net::Ipv4Net services, net::ParseCidr(network->config_.network.service_cidr));
  network->kubernetes_ip_ = net::FormatIpv4(services.At(1));
  ASSIGN_OR_RETURN(network->bridge_, net::BridgeNetwork::Create(network->config_.network));
  network->proxy_ = std::make_unique<net::ServiceProxy>(network->bridge_->netns_path());
  if (network->config_.api_port > 0) {
    // The API server listens on 127.0.0.1 only; pods reach the host at its
    // link address, so a relay listens there (never on 0.0.0.0) and passes
    // connections on to loopback.
    network->relay_ = std::make_unique<net::ServiceProxy>("/proc/self/ns/net");
    const int port = network->config_.api_port;
    net::ServiceRoute relay{kRelayKey, network->host_ip(), {{port, {{"127.0.0.1", port}}}}};
    RETURN_IF_ERROR(network->relay_->Apply(relay).WithContext("relaying the API server to the pod network"));
    RETURN_IF_ERROR(network->EnsureKubernetesService());
  }
  return network;
}

ClusterNetwork::~ClusterNetwork() {
  StopWatching();
  relay_.reset();
  proxy_.reset();
  bridge_.reset();  // removes the ClusterIPs with the namespace
}

Status ClusterNetwork::EnsureKubernetesService() {
  const int port = config_.api_port;
  json service = {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata", {{"name", "kubernetes"}, {"labels", {{"component", "apiserver"}, {"provider", "kubernetes"}}}}},
      {"spec",
       {{"type", "ClusterIP"},
        {"clusterIP", kubernetes_ip_},
        {"clusterIPs", json::array({kubernetes_ip_})},
        {"sessionAffinity", "None"},
        {"ports", json::array({{{"name", "https"}, {"port", 443}, {"protocol", "TCP"}, {"targetPort", port}}})}}}};
  auto current = api_->Get("services", "default", "kubernetes");
  if (current.ok() && (*current)["spec"].value("clusterIP", "") != kubernetes_ip_) {
    // A ClusterIP cannot change in place; an old one from another range goes.
    auto deleted = api_->Delete("services", "default", "kubernetes");
    if (!deleted.ok() && deleted.error().code != 404) return FromApiError(deleted.error());
  }
  RETURN_IF_ERROR(Upsert(api_, "services", "default", service).WithContext("creating the kubernetes Service"));
  json endpoints = {
      {"apiVersion", "v1"},
      {"kind", "Endpoints"},
      {"metadata", {{"name", "kubernetes"}, {"labels", {{"endpointslice.kubernetes.io/skip-mirror", "true"}}}}},
      {"subsets", json::array({{{"addresses", json::array({{{"ip", host_ip()}}})},
                                {"ports", json::array({{{"name", "https"}, {"port", port}, {"protocol", "TCP"}}})}}})}};
  return Upsert(api_, "endpoints", "default", endpoints).WithContext("creating the kubernetes Endpoints");
}

Status ClusterNetwork::Start(DnsSink dns) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    dns_ = std::move(dns);
  }
  // Endpoints first: a Service arriving finds its endpoints already known,
  // so its first route is complete.
  auto endpoints = api_->WatchWithCallback("endpoints", "", {}, [this](EventType type, const json& object) {
    OnEvent(false, type, object);
  });
  if (!endpoints.ok()) return FromApiError(endpoints.error());
  endpoints_watch_ = std::move(*endpoints);
  auto services = api_->WatchWithCallback("services", "", {}, [this](EventType type, const json& object) {
    OnEvent(true, type, object);
  });
  if (!services.ok()) return FromApiError(services.error());
  services_watch_ = std::move(*services);
  return OkStatus();
}

void ClusterNetwork::StopWatching() {
  services_watch_.reset();
  endpoints_watch_.reset();
}

void ClusterNetwork::OnEvent(bool service, EventType type, const json& object) {
  if (type == EventType::kBookmark || type == EventType::kError) return;
  const std::string key = KeyOf(object);
  std::vector<net::DnsRecord> records;
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& objects = service ? services_ : endpoints_;
    if (type == EventType::kDeleted) {
      objects.erase(key);
    } else {
      objects[key] = object;
    }
    ApplyLocked(key);
    records = DnsRecordsLocked();
    generation = ++dns_generation_;
  }
  PushDns(records, generation);
}

void ClusterNetwork::ApplyLocked(const std::string& key) {
  auto svc = services_.find(key);
  auto local = local_ips_.find(key);
  if (svc == services_.end()) {
    if (local != local_ips_.end()) {
      proxy_->Remove(key);
      bridge_->ReleaseClusterIp(local->second).IgnoreError();
      local_ips_.erase(local);
    }
    return;
  }
  const std::string ip = svc->second.value("/spec/clusterIP"_json_pointer, std::string());
  const bool has_ip = !ip.empty() && ip != "None";
  if (local != local_ips_.end() && local->second != ip) {
    proxy_->Remove(key);
    bridge_->ReleaseClusterIp(local->second).IgnoreError();
    local_ips_.erase(local);
    local = local_ips_.end();
  }
  if (has_ip && local == local_ips_.end()) {
    auto made = bridge_->AllocateClusterIp(ip);
    if (!made.ok()) {
      log_.Warn("cannot make the ClusterIP local", {{"service", key}, {"clusterIP", ip}, {"error", made.status().message()}});
      return;
    }
    local_ips_[key] = ip;
  }
  auto eps = endpoints_.find(key);
  auto route = net::RouteFor(svc->second, eps == endpoints_.end() ? json() : eps->second);
  if (!route.ok()) {
    log_.Warn("cannot route service", {{"service", key}, {"error", route.status().message()}});
    return;
  }
  Status applied = proxy_->Apply(*route);
  if (!applied.ok()) log_.Warn("cannot route service", {{"service", key}, {"error", applied.message()}});
}

std::vector<net::DnsRecord> ClusterNetwork::DnsRecordsLocked() const {
  std::vector<net::DnsRecord> records;
  for (const auto& [key, svc] : services_) {
    auto eps = endpoints_.find(key);
    auto more = net::DnsRecordsFor(svc, eps == endpoints_.end() ? json() : eps->second);
    records.insert(records.end(), more.begin(), more.end());
  }
  return records;
}

void ClusterNetwork::PushDns(const std::vector<net::DnsRecord>& records, uint64_t generation) {
  std::lock_guard<std::mutex> lock(dns_mu_);
  // Two watch threads push; an older computation never overwrites a newer.
  if (generation <= dns_pushed_) return;
  dns_pushed_ = generation;
  std::string fingerprint = DnsFingerprint(records);
  if (fingerprint == dns_last_) return;
  dns_last_ = std::move(fingerprint);
  DnsSink sink;
  {
    std::lock_guard<std::mutex> state_lock(mu_);
    sink = dns_;
  }
  if (sink) sink(records);
}

}  // namespace tusk::localkube
