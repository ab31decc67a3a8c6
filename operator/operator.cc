#include "operator/operator.h"

#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>
#include <tuple>

#include "common/base/cli.h"
#include "common/k8s/config.h"
#include "common/k8s/events.h"
#include "common/k8s/http_kube_client.h"
#include "common/k8s/informer.h"
#include "common/k8s/leader_election.h"
#include "common/k8s/workqueue.h"
#include "common/log/log.h"
#include "common/tls/random.h"
#include "operator/cluster/controller.h"
#include "operator/instance/instance_client.h"
#include "operator/instance/instance_monitor.h"

namespace tusk::op {

const char kOperatorFlagsHelp[] = R"(Flags:
  --kubeconfig PATH        API server access (default: $KUBECONFIG, in-cluster, ~/.kube/config)
  --leader-elect           hold the Lease <--lease-name> before reconciling
  --lease-name NAME        default tusk-operator, in OPERATOR_NAMESPACE
  --health-address ADDR    /healthz and /readyz (default 0.0.0.0:8081)
  --metrics-address ADDR   /metrics (default 0.0.0.0:8080)
  --workers N              concurrent reconciles (default 4)
  --log-level LEVEL        trace, debug, info, warn, error (default info)
  --log-format FORMAT      json or text (default json)
Environment: POSTGRES_IMAGE_NAME (the default PostgreSQL image),
OPERATOR_IMAGE_NAME (the bootstrap-controller init container's image),
OPERATOR_NAMESPACE, KUBERNETES_CLUSTER_DOMAIN, INHERITED_LABELS,
INHERITED_ANNOTATIONS (comma-separated globs).
)";

namespace {

std::string Env(const char* name, const std::string& fallback = "") {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) {
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

long ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * ::sysconf(_SC_PAGESIZE);
}

struct Counters {
  std::atomic<int64_t> reconciles{0}, errors{0};
  std::atomic<bool> leading{false};
};

// Everything that runs only while this process leads.
class Controllers {
 public:
  Controllers(k8s::KubeClient& client, Clock& clock, const OperatorOptions& options, Counters& counters)
      : counters_(counters),
        informers_(client, clock),
        queue_(clock),
        instance_client_(MakeGrpcInstanceClient()),
        monitor_(*instance_client_, clock, [this](const std::string& key) { queue_.Add(key); }),
        events_(client, clock, "tusk-operator") {
    auto informer = [&](k8s::ResourceRef ref, bool labelled) -> k8s::Informer& {
      k8s::InformerOptions o;
      o.resource = std::move(ref);
      if (labelled) o.label_selector = specs::kClusterLabel;
      return informers_.For(o);
    };
    k8s::Informer& clusters = informer(k8s::CnpgResource("clusters"), false);
    clusters.AddHandler(k8s::EnqueueKey(queue_));
    cluster::Caches caches;
    caches.clusters = &clusters.cache();
    auto owned = [&](k8s::ResourceRef ref) {
      k8s::Informer& i = informer(std::move(ref), true);
      i.AddHandler(k8s::EnqueueControllerOwner(queue_, "Cluster"));
      return &i.cache();
    };
    caches.pods = owned(k8s::PodsResource());
    caches.pvcs = owned({"", "v1", "persistentvolumeclaims", "", "", ""});
    caches.services = owned({"", "v1", "services", "", "", ""});
    caches.secrets = owned(k8s::SecretsResource());
    caches.service_accounts = owned({"", "v1", "serviceaccounts", "", "", ""});
    caches.roles = owned({"rbac.authorization.k8s.io", "v1", "roles", "", "", ""});
    caches.role_bindings = owned({"rbac.authorization.k8s.io", "v1", "rolebindings", "", "", ""});
    caches.pdbs = owned({"policy", "v1", "poddisruptionbudgets", "", "", ""});
    clusters_cache_ = caches.clusters;
    cluster::ControllerConfig config;
    config.settings = options.settings;
    config.defaults = options.defaults;
    controller_ = std::make_unique<cluster::ClusterController>(client, clock, events_, *instance_client_, monitor_,
                                                               random_, caches, std::move(config));
    workers_count_ = options.workers;
  }

  void Start() {
    informers_.StartAll();
    // Reconciling before the caches hold what exists would recreate it.
    while (!informers_.WaitForSync(std::chrono::seconds(5))) log_.Info("waiting for the informer caches to sync");
    synced_ = true;
    log_.Info("caches synced", {{"clusters", clusters_cache_->size()}});
    pool_ = std::make_unique<k8s::WorkerPool>(queue_, workers_count_, [this](const std::string& key) {
      ++counters_.reconciles;
      auto r = controller_->Reconcile(key);
      if (!r.status.ok()) ++counters_.errors;
      return r;
    });
  }

  void Stop() {
    queue_.ShutDown();
    pool_.reset();
    informers_.StopAll();
  }

  bool synced() const { return synced_.load(); }
  size_t clusters() const { return clusters_cache_->size(); }
  size_t streams() const { return monitor_.OpenStreams(); }
  size_t queue_depth() const { return queue_.Len(); }

 private:
  Counters& counters_;
  log::Logger log_{"operator"};
  k8s::InformerFactory informers_;
  k8s::WorkQueue queue_;
  std::unique_ptr<InstanceClient> instance_client_;
  InstanceMonitor monitor_;
  k8s::EventRecorder events_;
  tls::SystemRandom random_;
  const k8s::ObjectCache* clusters_cache_ = nullptr;
  std::unique_ptr<cluster::ClusterController> controller_;
  std::unique_ptr<k8s::WorkerPool> pool_;
  int workers_count_ = 4;
  std::atomic<bool> synced_{false};
};

class HttpEndpoint {
 public:
  explicit HttpEndpoint(std::string name) : name_(std::move(name)) {}
  ~HttpEndpoint() { Stop(); }
  httplib::Server& server() { return server_; }
  // `flag` names the address in errors ("health-address").
  Status Start(const std::string& flag, const std::string& address) {
    ASSIGN_OR_RETURN(HostPort hp, ParseHostPortFlag(flag, address));
    if (!server_.bind_to_port(hp.host, hp.port)) {
      return UnavailableError("cannot listen for " + name_ + " on " + address);
    }
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    return OkStatus();
  }
  void Stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::string name_;
  httplib::Server server_;
  std::thread thread_;
};

}  // namespace

StatusOr<OperatorOptions> ParseOperatorOptions(const std::vector<std::string>& args) {
  OperatorOptions o;
  o.defaults.postgres_image = Env("POSTGRES_IMAGE_NAME", api::kDefaultPostgresImage);
  o.settings.operator_image = Env("OPERATOR_IMAGE_NAME", "ghcr.io/tusk-pg/tusk-operator:0.1.0");
  o.settings.operator_version = "0.1.0";
  o.settings.cluster_domain = Env("KUBERNETES_CLUSTER_DOMAIN", "cluster.local");
  o.settings.inherited_labels = SplitList(Env("INHERITED_LABELS"));
  o.settings.inherited_annotations = SplitList(Env("INHERITED_ANNOTATIONS"));
  o.leader_namespace = Env("OPERATOR_NAMESPACE");
  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i], value;
    bool has_value = false;
    if (auto eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      has_value = true;
    }
    auto take = [&]() -> StatusOr<std::string> {
      if (has_value) return value;
      if (i + 1 >= args.size()) return InvalidArgumentError(flag + " needs a value");
      return args[++i];
    };
    if (flag == "--leader-elect") {
      o.leader_elect = !has_value || value == "true";
    } else if (flag == "--kubeconfig") {
      ASSIGN_OR_RETURN(o.kubeconfig, take());
    } else if (flag == "--lease-name") {
      ASSIGN_OR_RETURN(o.lease_name, take());
    } else if (flag == "--health-address" || flag == "--health-probe-bind-address") {
      ASSIGN_OR_RETURN(o.health_address, take());
    } else if (flag == "--metrics-address" || flag == "--metrics-bind-address") {
      ASSIGN_OR_RETURN(o.metrics_address, take());
    } else if (flag == "--workers") {
      ASSIGN_OR_RETURN(std::string n, take());
      ASSIGN_OR_RETURN(o.workers, ParseIntFlag("workers", n));
      if (o.workers < 1 || o.workers > 64) return InvalidArgumentError("--workers must be between 1 and 64");
    } else if (flag == "--log-level") {
      ASSIGN_OR_RETURN(o.log_level, take());
    } else if (flag == "--log-format") {
      ASSIGN_OR_RETURN(o.log_format, take());
    } else {
      return InvalidArgumentError("unknown flag " + flag + " (see --help)");
    }
  }
  if (o.identity.empty()) {
    char host[256] = {0};
    ::gethostname(host, sizeof(host) - 1);
    o.identity = std::string(host) + "_" + std::to_string(::getpid());
  }
  return o;
}

int RunOperator(const OperatorOptions& options) {
  log::Logger log("operator");
  auto log_options = log::OptionsFrom(options.log_level, options.log_format);
  if (!log_options.ok()) {
    log.Error("bad logging flags", {{"error", log_options.status().message()}});
    return 2;
  }
  log::Init(*log_options);

  // Signals are taken by sigwait below; every thread started after this
  // inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);  // internal: leadership lost
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto config = k8s::LoadDefaultConfig(options.kubeconfig);
  if (!config.ok()) {
    log.Error("no API server configuration", {{"error", config.status().message()}});
    return 2;
  }
  config->user_agent = "tusk-operator/" + options.settings.operator_version;
  RealClock clock;
  auto client = k8s::HttpKubeClient::Create(*config, clock);
  if (!client.ok()) {
    log.Error("cannot build the API client", {{"error", client.status().message()}});
    return 2;
  }
  Counters counters;
  Controllers controllers(**client, clock, options, counters);

  HttpEndpoint health("health probes"), metrics("metrics");
  health.server().Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  health.server().Get("/readyz", [&](const httplib::Request&, httplib::Response& res) {
    // A standby operator is ready: it is waiting for the lease, as it should.
    bool ready = !counters.leading.load() || controllers.synced();
    res.status = ready ? 200 : 503;
    res.set_content(ready ? "ok\n" : "informer caches not synced\n", "text/plain");
  });
  metrics.server().Get("/metrics", [&](const httplib::Request&, httplib::Response& res) {
    std::ostringstream out;
    auto gauge = [&](const char* name, const char* help, const char* type, double v) {
      out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n" << name << " " << v << "\n";
    };
    gauge("tusk_operator_leader", "1 while this process holds the leader lease", "gauge", counters.leading ? 1 : 0);
    gauge("tusk_operator_reconciles_total", "Cluster reconciles run", "counter", counters.reconciles.load());
    gauge("tusk_operator_reconcile_errors_total", "Cluster reconciles that failed", "counter", counters.errors.load());
    gauge("tusk_operator_clusters", "Clusters in the cache", "gauge", controllers.synced() ? controllers.clusters() : 0);
    gauge("tusk_operator_instance_streams", "open WatchStatus streams", "gauge", controllers.streams());
    gauge("tusk_operator_workqueue_depth", "keys waiting to be reconciled", "gauge", controllers.queue_depth());
    gauge("process_resident_memory_bytes", "resident set size", "gauge", static_cast<double>(ResidentBytes()));
    res.set_content(out.str(), "text/plain; version=0.0.4");
  });
  for (auto [endpoint, flag, address] : {std::tuple{&health, "health-address", options.health_address},
                                         {&metrics, "metrics-address", options.metrics_address}}) {
    if (Status st = endpoint->Start(flag, address); !st.ok()) {
      log.Error("cannot serve", {{"error", st.message()}});
      return 2;
    }
  }

  std::atomic<bool> started{false};
  auto lead = [&] {
    counters.leading = true;
    started = true;
    log.Info("leading: starting the controllers");
    controllers.Start();
  };
  std::unique_ptr<k8s::LeaderElector> elector;
  std::thread starter;
  if (options.leader_elect) {
    k8s::LeaderElectionConfig le;
    le.namespace_ = options.leader_namespace.empty() ? config->namespace_ : options.leader_namespace;
    le.lease_name = options.lease_name;
    le.identity = options.identity;
    k8s::LeaderCallbacks callbacks;
    // Started on its own thread: syncing the caches must not hold up renewals.
    callbacks.on_started_leading = [&] { starter = std::thread(lead); };
    callbacks.on_stopped_leading = [&] {
      // Another operator may be leading already; stop acting at once.
      log.Error("lost the leader lease; exiting so a fresh process campaigns again");
      ::kill(::getpid(), SIGUSR1);
    };
    callbacks.on_new_leader = [&](const std::string& who) { log.Info("leader", {{"identity", who}}); };
    elector = std::make_unique<k8s::LeaderElector>(**client, clock, le, callbacks);
    log.Info("campaigning for the leader lease", {{"lease", le.namespace_ + "/" + le.lease_name},
                                                  {"identity", options.identity}});
    elector->Start();
  } else {
    lead();
  }

  int sig = 0;
  sigwait(&signals, &sig);
  log.Info("stopping", {{"signal", sig == SIGUSR1 ? "leadership lost" : strsignal(sig)}});
  if (starter.joinable()) starter.join();
  if (started) controllers.Stop();
  if (elector) elector->Stop();
  health.Stop();
  metrics.Stop();
  log::Flush();
  return sig == SIGUSR1 ? 1 : 0;
}

}  // namespace tusk::op
