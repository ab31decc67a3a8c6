// The real client against a real in-process gRPC server on 127.0.0.1: a
// small InstanceManager whose WatchStatus uses the callback API (so a few
// hundred streams need no server threads either), and a relay that can
// freeze a connection the way a lost node does.
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <deque>
#include <set>
#include <thread>

#include "operator/instance/instance_client.h"
#include "test/unit/eventually.h"

namespace tusk::op {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

pb::InstanceStatus Report(const std::string& pod, uint32_t timeline) {
  pb::InstanceStatus s;
  s.set_pod_name(pod);
  s.set_role(pb::ROLE_PRIMARY);
  s.set_timeline_id(timeline);
  return s;
}

class TestInstance;

// One WatchStatus call on the server: a queue of reports written one at a
// time, as the callback API requires.
class StatusWriter final : public grpc::ServerWriteReactor<pb::InstanceStatus> {
 public:
  explicit StatusWriter(TestInstance* instance) : instance_(instance) {}
  void Push(const pb::InstanceStatus& s) {
    std::lock_guard<std::mutex> lock(mu_);
    if (finishing_) return;
    queue_.push_back(s);
    queue_.back().set_sequence(++sequence_);
    WriteNextLocked();
  }
  void End(const grpc::Status& s) {
    std::lock_guard<std::mutex> lock(mu_);
    FinishLocked(s);
  }
  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    writing_ = false;
    if (finishing_) {  // Finish waited for this write
      if (!finished_) {
        finished_ = true;
        Finish(end_);
      }
    } else if (!ok) {
      FinishLocked(grpc::Status::CANCELLED);
    } else {
      WriteNextLocked();
    }
  }
  void OnCancel() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      FinishLocked(grpc::Status::CANCELLED);
    }
  }
  void OnDone() override;

 private:
  void WriteNextLocked() {
    if (writing_ || queue_.empty() || finishing_) return;
    current_ = queue_.front();
    queue_.pop_front();
    writing_ = true;
    StartWrite(&current_);
  }
  void FinishLocked(const grpc::Status& s) {
    if (finishing_) return;
    finishing_ = true;
    end_ = s;
    if (!writing_) {
      finished_ = true;
      Finish(s);
    }
  }

  TestInstance* instance_;
  std::mutex mu_;
  std::deque<pb::InstanceStatus> queue_;
  pb::InstanceStatus current_;
  uint64_t sequence_ = 0;
  bool writing_ = false;
  bool finishing_ = false;
  bool finished_ = false;
  grpc::Status end_;
};

class TestInstance final : public pb::InstanceManager::WithCallbackMethod_WatchStatus<pb::InstanceManager::Service> {
 public:
  // New streams get the current report at once, like tusk-instance.
  grpc::ServerWriteReactor<pb::InstanceStatus>* WatchStatus(grpc::CallbackServerContext*,
                                                           const pb::WatchStatusRequest* request) override {
    auto* w = new StatusWriter(this);
    std::lock_guard<std::mutex> lock(mu_);
    last_heartbeat_ms_ = request->heartbeat_interval_ms();
    writers_.insert(w);
    ++streams_started_;
    w->Push(current_);
    return w;
  }
  void Publish(const pb::InstanceStatus& s) {
    std::lock_guard<std::mutex> lock(mu_);
    current_ = s;
    for (StatusWriter* w : writers_) w->Push(s);
  }
  void EndStreams(const grpc::Status& s) {
    std::lock_guard<std::mutex> lock(mu_);
    for (StatusWriter* w : writers_) w->End(s);
  }
  void Forget(StatusWriter* w) {
    std::lock_guard<std::mutex> lock(mu_);
    writers_.erase(w);
  }
  int open_streams() {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(writers_.size());
  }
  uint32_t last_heartbeat_ms() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_heartbeat_ms_;
  }
  std::vector<std::string> peers() {
    std::lock_guard<std::mutex> lock(mu_);
    return peers_;
  }

  grpc::Status GetStatus(grpc::ServerContext*, const pb::GetStatusRequest*, pb::InstanceStatus* resp) override {
    std::lock_guard<std::mutex> lock(mu_);
    *resp = current_;
    return grpc::Status::OK;
  }
  // Refuses unless the operator names the target this instance expects.
  grpc::Status Promote(grpc::ServerContext* ctx, const pb::PromoteRequest* req, pb::OperationResult* resp) override {
    std::lock_guard<std::mutex> lock(mu_);
    peers_.push_back(ctx->peer());
    if (req->expected_target() == current_.pod_name()) {
      resp->set_ok(true);
      *resp->mutable_status() = current_;
    } else {
      resp->set_ok(false);
      resp->set_message("expected target " + req->expected_target() + " is not this instance");
    }
    return grpc::Status::OK;
  }
  // Takes longer than the callers' deadline.
  grpc::Status Checkpoint(grpc::ServerContext* ctx, const pb::CheckpointRequest*, pb::OperationResult* resp) override {
    for (int i = 0; i < 100 && !ctx->IsCancelled(); ++i) std::this_thread::sleep_for(milliseconds(10));
    resp->set_ok(true);
    return grpc::Status::OK;
  }
  grpc::Status SetFenced(grpc::ServerContext*, const pb::SetFencedRequest* req, pb::OperationResult* resp) override {
    resp->set_ok(true);
    resp->mutable_status()->set_fenced(req->fenced());
    return grpc::Status::OK;
  }
  grpc::Status Backup(grpc::ServerContext*, const pb::BackupRequest* req,
                      grpc::ServerWriter<pb::BackupProgress>* writer) override {
    for (int i = 0; i < 3; ++i) {
      pb::BackupProgress p;
      p.set_state(i == 0 ? pb::BackupProgress::STATE_STARTED : pb::BackupProgress::STATE_RUNNING);
      writer->Write(p);
    }
    if (req->backup_id() == "refused") {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "no object store configured");
    }
    return grpc::Status::OK;
  }

 private:
  std::mutex mu_;
  pb::InstanceStatus current_ = Report("pg-1", 1);
  std::set<StatusWriter*> writers_;
  int streams_started_ = 0;
  uint32_t last_heartbeat_ms_ = 0;
  std::vector<std::string> peers_;
};

void StatusWriter::OnDone() {
  instance_->Forget(this);
  delete this;
}

struct TestServer {
  TestInstance service;
  std::unique_ptr<grpc::Server> server;
  std::string address;
  int port = 0;

  TestServer() {
    grpc::ServerBuilder builder;
    // The client pings every second, with or without calls. A server on
    // gRPC's defaults counts that as abuse and sends GOAWAY "too_many_pings"
    // after a few quiet seconds, so tusk-instance must allow it as here.
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 500);
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
    REQUIRE(server);
    REQUIRE(port != 0);
    address = "127.0.0.1:" + std::to_string(port);
  }
  ~TestServer() {
    if (server) server->Shutdown(std::chrono::system_clock::now() + milliseconds(100));
  }
};

// What a watch delivered, for assertions from the test thread.
struct Recorder {
  std::mutex mu;
  std::vector<pb::InstanceStatus> reports;
  std::vector<Status> ends;
  std::atomic<bool> in_callback{false};
  milliseconds callback_delay{0};

  WatchCallbacks Callbacks() {
    WatchCallbacks cb;
    cb.on_status = [this](const pb::InstanceStatus& s) {
      in_callback = true;
      if (callback_delay.count() > 0) std::this_thread::sleep_for(callback_delay);
      {
        std::lock_guard<std::mutex> lock(mu);
        reports.push_back(s);
      }
      in_callback = false;
    };
    cb.on_end = [this](const Status& s) {
      std::lock_guard<std::mutex> lock(mu);
      ends.push_back(s);
    };
    return cb;
  }
  size_t Reports() {
    std::lock_guard<std::mutex> lock(mu);
    return reports.size();
  }
  size_t Ends() {
    std::lock_guard<std::mutex> lock(mu);
    return ends.size();
  }
};

// A TCP port nothing listens on: bound, then closed.
int UnusedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

int ThreadCount() {
  int n = 0;
  DIR* d = opendir("/proc/self/task");
  while (dirent* e = readdir(d)) n += e->d_name[0] != '.' ? 1 : 0;
  closedir(d);
  return n;
}

// Relays 127.0.0.1:port() to a target port. Freeze() stops moving bytes in
// either direction but keeps every socket open: to the client the peer is
// silent, as a pod on a lost node is, not gone.
class FreezingRelay {
 public:
  explicit FreezingRelay(int target_port) : target_port_(target_port) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(listen(listen_fd_, 16) == 0);
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~FreezingRelay() {
    stop_ = true;
    thread_.join();
    close(listen_fd_);
    for (auto& [a, b] : pairs_) {
      close(a);
      close(b);
    }
  }
  int port() const { return port_; }
  void Freeze() { frozen_ = true; }

 private:
  void Loop() {
    while (!stop_) {
      std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
      if (!frozen_) {
        for (auto& [a, b] : pairs_) {
          fds.push_back({a, POLLIN, 0});
          fds.push_back({b, POLLIN, 0});
        }
      }
      if (poll(fds.data(), fds.size(), 20) <= 0) continue;
      if (fds[0].revents & POLLIN) Accept();
      for (size_t i = 1; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
        const int from = fds[i].fd;
        const int to = Peer(from);
        char buf[16384];
        ssize_t n = read(from, buf, sizeof buf);
        if (n > 0) (void)!write(to, buf, static_cast<size_t>(n));
      }
    }
  }
  void Accept() {
    int client = accept(listen_fd_, nullptr, nullptr);
    if (client < 0) return;
    int upstream = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(target_port_));
    if (connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(client);
      close(upstream);
      return;
    }
    pairs_.emplace_back(client, upstream);
  }
  int Peer(int fd) const {
    for (auto& [a, b] : pairs_) {
      if (a == fd) return b;
      if (b == fd) return a;
    }
    return -1;
  }

  int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> frozen_{false};
  std::vector<std::pair<int, int>> pairs_;  // client, upstream; only the loop thread touches it
  std::thread thread_;
};

TEST_CASE("WatchStatus delivers the instance's reports in order and asks for the heartbeat") {
  TestServer server;
  auto client = MakeGrpcInstanceClient();
  Recorder rec;
  auto watch = client->WatchStatus(server.address, milliseconds(500), rec.Callbacks());
  REQUIRE(Eventually([&] { return rec.Reports() == 1; }));
  server.service.Publish(Report("pg-1", 2));
  server.service.Publish(Report("pg-1", 3));
  REQUIRE(Eventually([&] { return rec.Reports() == 3; }));
  {
    std::lock_guard<std::mutex> lock(rec.mu);
    for (uint32_t i = 0; i < 3; ++i) {
      CHECK(rec.reports[i].pod_name() == "pg-1");
      CHECK(rec.reports[i].timeline_id() == i + 1);
      CHECK(rec.reports[i].sequence() == i + 1);
    }
  }
  CHECK(server.service.last_heartbeat_ms() == 500);
  CHECK(rec.Ends() == 0);
}

TEST_CASE("Destroying a watch mid-stream returns promptly and no callback runs after it") {
  TestServer server;
  auto client = MakeGrpcInstanceClient();
  Recorder rec;
  rec.callback_delay = milliseconds(5);  // widens the window a late callback would hit
  auto watch = client->WatchStatus(server.address, milliseconds(1000), rec.Callbacks());
  std::atomic<bool> stop{false};
  std::thread publisher([&] {
    for (uint32_t i = 2; !stop; ++i) {
      server.service.Publish(Report("pg-1", i));
      std::this_thread::sleep_for(milliseconds(1));
    }
  });
  REQUIRE(Eventually([&] { return rec.Reports() >= 10; }));

  const auto start = SteadyClock::now();
  watch.reset();
  const auto took = SteadyClock::now() - start;
  CHECK_FALSE(rec.in_callback.load());
  const size_t at_destroy = rec.Reports();
  std::this_thread::sleep_for(milliseconds(200));
  stop = true;
  publisher.join();

  CHECK(took < milliseconds(500));
  CHECK(rec.Reports() == at_destroy);
  CHECK(rec.Ends() == 0);  // on_end is for streams that end by themselves
  CHECK(Eventually([&] { return server.service.open_streams() == 0; }));  // the server saw the cancel
}

TEST_CASE("A watch destroyed from its own callback does not wait for itself") {
  TestServer server;
  auto client = MakeGrpcInstanceClient();
  std::unique_ptr<StatusWatch> watch;
  std::mutex mu;
  std::atomic<int> reports{0};
  std::atomic<int> ends{0};
  WatchCallbacks cb;
  cb.on_status = [&](const pb::InstanceStatus&) {
    ++reports;
    std::lock_guard<std::mutex> lock(mu);
    watch.reset();
  };
  cb.on_end = [&](const Status&) { ++ends; };
  {
    std::lock_guard<std::mutex> lock(mu);
    watch = client->WatchStatus(server.address, milliseconds(1000), cb);
  }
  REQUIRE(Eventually([&] { return reports.load() == 1; }));
  server.service.Publish(Report("pg-1", 2));
  CHECK(Eventually([&] { return server.service.open_streams() == 0; }));
  CHECK(reports.load() == 1);
  CHECK(ends.load() == 0);
}

TEST_CASE("A stream the instance ends calls on_end once with an error") {
  TestServer server;
  auto client = MakeGrpcInstanceClient();

  SECTION("the instance finishes the stream with OK when it shuts down") {
    Recorder rec;
    auto watch = client->WatchStatus(server.address, milliseconds(1000), rec.Callbacks());
    REQUIRE(Eventually([&] { return rec.Reports() == 1; }));
    server.service.EndStreams(grpc::Status::OK);
    REQUIRE(Eventually([&] { return rec.Ends() == 1; }));
    CHECK(rec.ends[0].code() == StatusCode::kUnavailable);
    CHECK(rec.ends[0].message().find(server.address) != std::string::npos);
  }
  SECTION("the instance refuses with a status of its own") {
    Recorder rec;
    auto watch = client->WatchStatus(server.address, milliseconds(1000), rec.Callbacks());
    REQUIRE(Eventually([&] { return rec.Reports() == 1; }));
    server.service.EndStreams(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "fenced"));
    REQUIRE(Eventually([&] { return rec.Ends() == 1; }));
    CHECK(rec.ends[0] == FailedPreconditionError("WatchStatus " + server.address + ": fenced"));
  }
  SECTION("the server goes away") {
    Recorder rec;
    auto watch = client->WatchStatus(server.address, milliseconds(1000), rec.Callbacks());
    REQUIRE(Eventually([&] { return rec.Reports() == 1; }));
    server.server->Shutdown(std::chrono::system_clock::now() + milliseconds(100));
    REQUIRE(Eventually([&] { return rec.Ends() == 1; }, seconds(5)));
    CHECK_FALSE(rec.ends[0].ok());
    std::this_thread::sleep_for(milliseconds(100));
    CHECK(rec.Ends() == 1);
  }
}

TEST_CASE("A watch on an address nobody listens on ends with Unavailable") {
  auto client = MakeGrpcInstanceClient();
  Recorder rec;
  const std::string address = "127.0.0.1:" + std::to_string(UnusedPort());
  auto watch = client->WatchStatus(address, milliseconds(1000), rec.Callbacks());
  REQUIRE(Eventually([&] { return rec.Ends() == 1; }, seconds(5)));
  CHECK(rec.ends[0].code() == StatusCode::kUnavailable);
  CHECK(rec.Reports() == 0);
}

TEST_CASE("A peer that goes silent without closing the connection ends the watch within seconds") {
  TestServer server;
  FreezingRelay relay(server.port);
  auto client = MakeGrpcInstanceClient();
  Recorder rec;
  auto watch = client->WatchStatus("127.0.0.1:" + std::to_string(relay.port()), milliseconds(1000), rec.Callbacks());
  REQUIRE(Eventually([&] { return rec.Reports() == 1; }));
  for (uint32_t i = 2; i < 10; ++i) {
    server.service.Publish(Report("pg-1", i));
    std::this_thread::sleep_for(milliseconds(100));
  }
  // Then three quiet seconds: the client writes nothing on a server stream,
  // and gRPC's default stops keepalive pings after two without data.
  std::this_thread::sleep_for(seconds(3));
  REQUIRE(rec.Ends() == 0);
  relay.Freeze();
  const auto frozen_at = SteadyClock::now();
  REQUIRE(Eventually([&] { return rec.Ends() == 1; }, seconds(8), milliseconds(10)));
  const auto took = SteadyClock::now() - frozen_at;
  INFO("noticed after " << std::chrono::duration_cast<milliseconds>(took).count() << " ms");
  CHECK(rec.ends[0].code() == StatusCode::kUnavailable);
  CHECK(took < seconds(4));  // keepalive: a ping a second, a second for its ack
}

TEST_CASE("Hundreds of open watches do not take a thread each") {
  TestServer server;
  auto client = MakeGrpcInstanceClient();
  const int before = ThreadCount();
  constexpr int kWatches = 300;
  std::vector<std::unique_ptr<Recorder>> recs;
  std::vector<std::unique_ptr<StatusWatch>> watches;
  for (int i = 0; i < kWatches; ++i) {
    recs.push_back(std::make_unique<Recorder>());
    watches.push_back(client->WatchStatus(server.address, milliseconds(1000), recs.back()->Callbacks()));
  }
  auto all_have = [&](size_t n) {
    for (auto& r : recs) {
      if (r->Reports() < n) return false;
    }
    return true;
  };
  REQUIRE(Eventually([&] { return all_have(1); }));
  server.service.Publish(Report("pg-1", 2));
  REQUIRE(Eventually([&] { return all_have(2); }));
  const int during = ThreadCount();
  INFO("threads before " << before << ", with " << kWatches << " watches " << during);
  CHECK(during - before < kWatches / 10);
  CHECK(server.service.open_streams() == kWatches);
  watches.clear();
  CHECK(Eventually([&] { return server.service.open_streams() == 0; }));
}

TEST_CASE("Promote answers ok, ok=false becomes FailedPrecondition with the instance's message") {
  TestServer server;
  auto client = MakeGrpcInstanceClient();
  pb::PromoteRequest req;
  req.set_expected_target("pg-1");
  auto ok = client->Promote(server.address, req, seconds(5));
  REQUIRE(ok.ok());
  CHECK(ok->ok());
  CHECK(ok->status().pod_name() == "pg-1");

  req.set_expected_target("pg-3");
  auto refused = client->Promote(server.address, req, seconds(5));
  CHECK(refused.status() == FailedPreconditionError("expected target pg-3 is not this instance"));

  // Both calls went over the one cached channel (the same client port).
  auto peers = server.service.peers();
  REQUIRE(peers.size() == 2);
  CHECK(peers[0] == peers[1]);
}

TEST_CASE("Unary calls map transport failures to Status codes") {
  TestServer server;
  auto client = MakeGrpcInstanceClient();

  SECTION("nobody listening: Unavailable, well within the deadline") {
    const std::string address = "127.0.0.1:" + std::to_string(UnusedPort());
    const auto start = SteadyClock::now();
    auto r = client->Reload(address, seconds(3));
    CHECK(r.status().code() == StatusCode::kUnavailable);
    CHECK(r.status().message().find("Reload " + address + ": ") == 0);
    CHECK(SteadyClock::now() - start < seconds(2));
    CHECK(client->GetStatus(address, seconds(3)).status().code() == StatusCode::kUnavailable);
  }
  SECTION("an answer slower than the deadline: DeadlineExceeded") {
    const auto start = SteadyClock::now();
    auto r = client->Checkpoint(server.address, milliseconds(150));
    CHECK(r.status().code() == StatusCode::kDeadlineExceeded);
    CHECK(SteadyClock::now() - start < milliseconds(900));
  }
  SECTION("a method the instance does not serve: Unimplemented") {
    pb::DemoteRequest req;
    req.set_new_primary("pg-2");
    CHECK(client->Demote(server.address, req, seconds(5)).status().code() == StatusCode::kUnimplemented);
  }
  SECTION("GetStatus and SetFenced pass the instance's answer through") {
    auto s = client->GetStatus(server.address, seconds(5));
    REQUIRE(s.ok());
    CHECK(s->pod_name() == "pg-1");
    auto fenced = client->SetFenced(server.address, true, seconds(5));
    REQUIRE(fenced.ok());
    CHECK(fenced->status().fenced());
  }
}

TEST_CASE("Backup reports each progress message and ends with the stream's status") {
  TestServer server;
  auto client = MakeGrpcInstanceClient();
  std::vector<pb::BackupProgress::State> states;
  pb::BackupRequest req;
  req.set_backup_id("20240101T120000");
  Status done = client->Backup(
      server.address, req, [&](const pb::BackupProgress& p) { states.push_back(p.state()); }, seconds(5));
  CHECK(done.ok());
  CHECK(states == std::vector<pb::BackupProgress::State>{pb::BackupProgress::STATE_STARTED,
                                                         pb::BackupProgress::STATE_RUNNING,
                                                         pb::BackupProgress::STATE_RUNNING});
  req.set_backup_id("refused");
  CHECK(client->Backup(server.address, req, nullptr, seconds(5)) ==
        FailedPreconditionError("Backup " + server.address + ": no object store configured"));
}

}  // namespace
}  // namespace tusk::op
