#include "common/k8s/http_kube_client.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "common/base/files.h"
#include "common/k8s/test_server.h"
#include "test/unit/eventually.h"

namespace tusk::k8s {
namespace {

using testing::TestServer;

std::string StatusBody(int code, const std::string& reason, const std::string& message) {
  return Json{{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", Json::object()}, {"status", "Failure"},
              {"message", message}, {"reason", reason}, {"code", code}}
      .dump();
}

std::unique_ptr<HttpKubeClient> ClientFor(const TestServer& s, Clock& clock, KubeConfig config = {}) {
  config.server = s.url();
  auto c = HttpKubeClient::Create(config, clock);
  REQUIRE(c.ok());
  return std::move(*c);
}

// A clock whose SleepFor returns at once and records how long the caller
// asked to wait, so tests see the client's back-off without waiting it out.
class RecordingClock final : public Clock {
 public:
  MonoTime Now() const override { return MonoTime(slept_.load()); }
  WallTime WallNow() const override { return WallTime(slept_.load()); }
  void SleepFor(Duration d) override { slept_ = slept_.load() + d; }
  TimerId AddTimer(MonoTime, std::function<void()>) override { return 0; }
  bool CancelTimer(TimerId) override { return false; }
  int64_t slept_ms() const { return std::chrono::duration_cast<std::chrono::milliseconds>(slept_.load()).count(); }

 private:
  std::atomic<Duration> slept_{Duration(0)};
};

TEST_CASE("Get returns the object and requests reuse one keep-alive connection") {
  TestServer s;
  s.server().Get("/api/v1/namespaces/default/pods/p1", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(Json{{"kind", "Pod"}, {"metadata", {{"name", "p1"}}}, {"ua", req.get_header_value("User-Agent")}}
                        .dump(),
                    "application/json");
  });
  s.Start();
  RealClock clock;
  auto client = ClientFor(s, clock);
  for (int i = 0; i < 20; ++i) {
    auto pod = client->Get(PodsResource().InNamespace("default").Named("p1"));
    REQUIRE(pod.ok());
    CHECK((*pod)["metadata"]["name"] == "p1");
  }
  CHECK(client->connections_opened() == 1);
}

TEST_CASE("A create on a pooled connection the server closed is resent on a new one") {
  auto serve = [](TestServer& s, int port) {
    s.server().Post("/api/v1/namespaces/default/configmaps", [](const httplib::Request&, httplib::Response& res) {
      res.status = 201;
      res.set_content(R"({"metadata":{"name":"c"}})", "application/json");
    });
    s.Start(port);
  };
  auto first = std::make_unique<TestServer>();
  serve(*first, 0);
  const int port = first->port();
  RealClock clock;
  auto client = ClientFor(*first, clock);
  ResourceRef cms = ConfigMapsResource().InNamespace("default");
  REQUIRE(client->Create(cms, {{"metadata", {{"name", "c"}}}}).ok());
  first.reset();  // the server restarts: the pooled connection is now dead
  TestServer second;
  serve(second, port);
  REQUIRE(second.port() == port);
  auto again = client->Create(cms, {{"metadata", {{"name", "c"}}}});
  INFO(again.status().ToString());
  CHECK(again.ok());
}

TEST_CASE("Kubernetes Status errors map to codes and keep the server's message") {
  struct Case {
    int http;
    std::string reason;
    std::string message;
    StatusCode code;
  };
  std::vector<Case> cases = {
      {404, "NotFound", "pods \"x\" not found", StatusCode::kNotFound},
      {409, "AlreadyExists", "pods \"x\" already exists", StatusCode::kAlreadyExists},
      {409, "Conflict",
       "Operation cannot be fulfilled on pods \"x\": the object has been modified; please apply your changes to the "
       "latest version and try again",
       StatusCode::kConflict},
      {403, "Forbidden", "pods \"x\" is forbidden: User \"alice\" cannot get resource \"pods\"",
       StatusCode::kPermissionDenied},
      {422, "Invalid", "Pod \"x\" is invalid: spec.containers[0].image: Required value", StatusCode::kInvalidArgument},
      {410, "Expired", "too old resource version: 5 (10)", StatusCode::kGone},
      {504, "Timeout", "Timeout: request did not complete", StatusCode::kDeadlineExceeded},
      {401, "Unauthorized", "Unauthorized", StatusCode::kUnauthenticated},
  };
  TestServer s;
  std::atomic<size_t> which{0};
  s.server().Get(R"(/api/v1/namespaces/default/pods/x)", [&](const httplib::Request&, httplib::Response& res) {
    const Case& c = cases[which];
    res.status = c.http;
    res.set_content(StatusBody(c.http, c.reason, c.message), "application/json");
  });
  s.Start();
  RealClock clock;
  HttpClientOptions opts;
  opts.max_retries = 0;
  KubeConfig config;
  config.server = s.url();
  auto client = HttpKubeClient::Create(config, clock, opts);
  REQUIRE(client.ok());
  for (size_t i = 0; i < cases.size(); ++i) {
    which = i;
    auto got = (*client)->Get(PodsResource().InNamespace("default").Named("x"));
    REQUIRE_FALSE(got.ok());
    INFO(cases[i].reason);
    CHECK(got.status().code() == cases[i].code);
    CHECK(got.status().message() == cases[i].message);
  }
}

TEST_CASE("A non-Status error body gets a generic message, 409 on create reads as AlreadyExists") {
  CHECK(StatusFromResponse(404, "<html>", "GET").code() == StatusCode::kNotFound);
  CHECK(StatusFromResponse(404, "<html>", "GET").message() == "the server could not find the requested resource");
  CHECK(StatusFromResponse(409, "", "POST").code() == StatusCode::kAlreadyExists);
  CHECK(StatusFromResponse(429, "Too many requests, please try again later.", "GET").code() ==
        StatusCode::kResourceExhausted);
  CHECK(StatusFromResponse(500, "boom", "GET").code() == StatusCode::kInternal);
}

TEST_CASE("429 with Retry-After is retried after the time the server asked for") {
  TestServer s;
  std::atomic<int> calls{0};
  s.server().Get("/api/v1/namespaces/default/pods/p", [&](const httplib::Request&, httplib::Response& res) {
    if (calls++ < 2) {
      res.status = 429;
      res.set_header("Retry-After", "3");
      res.set_content(StatusBody(429, "TooManyRequests", "Too many requests: slow down"), "application/json");
      return;
    }
    res.set_content(R"({"kind":"Pod","metadata":{"name":"p"}})", "application/json");
  });
  s.Start();
  RecordingClock clock;
  auto client = ClientFor(s, clock);
  auto pod = client->Get(PodsResource().InNamespace("default").Named("p"));
  REQUIRE(pod.ok());
  CHECK(calls == 3);
  CHECK(clock.slept_ms() == 6000);  // two waits of three seconds each
}

TEST_CASE("Retries stop after the configured attempts with ResourceExhausted") {
  TestServer s;
  std::atomic<int> calls{0};
  s.server().Get("/api/v1/pods", [&](const httplib::Request&, httplib::Response& res) {
    ++calls;
    res.status = 429;
    res.set_header("Retry-After", "1");
    res.set_content("Too many requests, please try again later.", "text/plain");
  });
  s.Start();
  RecordingClock clock;
  KubeConfig config;
  config.server = s.url();
  HttpClientOptions opts;
  opts.max_retries = 2;
  auto client = HttpKubeClient::Create(config, clock, opts);
  REQUIRE(client.ok());
  auto list = (*client)->List(PodsResource(), {});
  REQUIRE_FALSE(list.ok());
  CHECK(list.status().code() == StatusCode::kResourceExhausted);
  CHECK(calls == 3);
  CHECK(clock.slept_ms() == 2000);
}

TEST_CASE("List passes selectors and paging, and returns items, resourceVersion and continue") {
  TestServer s;
  std::string query;
  s.server().Get("/apis/postgresql.cnpg.io/v1/namespaces/ns/clusters", [&](const httplib::Request& req,
                                                                          httplib::Response& res) {
    query = req.get_param_value("labelSelector") + "|" + req.get_param_value("limit") + "|" +
            req.get_param_value("continue");
    res.set_content(R"x({"kind":"ClusterList","metadata":{"resourceVersion":"42","continue":"next"},
                        "items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]})x",
                    "application/json");
  });
  s.Start();
  RealClock clock;
  auto client = ClientFor(s, clock);
  ListOptions opts;
  opts.label_selector = "cnpg.io/cluster=pg,role in (a,b)";
  opts.limit = 2;
  opts.continue_token = "tok";
  auto list = client->List(CnpgResource("clusters").InNamespace("ns"), opts);
  REQUIRE(list.ok());
  CHECK(list->items.size() == 2);
  CHECK(list->resource_version == "42");
  CHECK(list->continue_token == "next");
  CHECK(query == "cnpg.io/cluster=pg,role in (a,b)|2|tok");
}

TEST_CASE("Create, update, status, patch and delete send what the API expects") {
  TestServer s;
  std::vector<std::string> seen;
  std::mutex mu;
  auto record = [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back(req.method + " " + req.path + " " + req.get_header_value("Content-Type") + " " +
                   req.get_param_value("fieldManager") + req.get_param_value("force") + " " + req.body);
    res.set_content(R"({"metadata":{"name":"c1","resourceVersion":"2"}})", "application/json");
  };
  s.server().Post("/apis/postgresql.cnpg.io/v1/namespaces/ns/clusters", record);
  s.server().Put("/apis/postgresql.cnpg.io/v1/namespaces/ns/clusters/c1", record);
  s.server().Put("/apis/postgresql.cnpg.io/v1/namespaces/ns/clusters/c1/status", record);
  s.server().Patch("/apis/postgresql.cnpg.io/v1/namespaces/ns/clusters/c1", record);
  s.server().Delete("/apis/postgresql.cnpg.io/v1/namespaces/ns/clusters/c1", record);
  s.Start();
  RealClock clock;
  auto client = ClientFor(s, clock);
  ResourceRef clusters = CnpgResource("clusters").InNamespace("ns");
  Json obj = {{"metadata", {{"name", "c1"}}}};
  REQUIRE(client->Create(clusters, obj).ok());
  REQUIRE(client->Update(clusters, obj).ok());
  REQUIRE(client->UpdateStatus(clusters.Named("c1"), obj).ok());
  REQUIRE(client->Patch(clusters.Named("c1"), PatchType::kMerge, R"({"spec":{"instances":3}})").ok());
  REQUIRE(client->Patch(clusters.Named("c1"), PatchType::kJson, R"([{"op":"remove","path":"/x"}])").ok());
  REQUIRE(client->Patch(clusters.Named("c1"), PatchType::kStrategicMerge, "{}").ok());
  REQUIRE(client->Patch(clusters.Named("c1"), PatchType::kApply, "{}", {"tusk", true}).ok());
  DeleteOptions del;
  del.propagation_policy = "Foreground";
  del.precondition_resource_version = "2";
  REQUIRE(client->Delete(clusters.Named("c1"), del).ok());
  REQUIRE(seen.size() == 8);
  CHECK_THAT(seen[0], Catch::StartsWith("POST /apis/postgresql.cnpg.io/v1/namespaces/ns/clusters application/json"));
  CHECK_THAT(seen[1], Catch::StartsWith("PUT /apis/postgresql.cnpg.io/v1/namespaces/ns/clusters/c1 application/json"));
  CHECK_THAT(seen[2], Catch::StartsWith("PUT /apis/postgresql.cnpg.io/v1/namespaces/ns/clusters/c1/status"));
  CHECK_THAT(seen[3], Catch::Contains("application/merge-patch+json"));
  CHECK_THAT(seen[4], Catch::Contains("application/json-patch+json"));
  CHECK_THAT(seen[5], Catch::Contains("application/strategic-merge-patch+json"));
  CHECK_THAT(seen[6], Catch::Contains("application/apply-patch+yaml tusktrue"));
  CHECK_THAT(seen[7], Catch::Contains(R"("propagationPolicy":"Foreground")"));
  CHECK_THAT(seen[7], Catch::Contains(R"("preconditions":{"resourceVersion":"2"})"));
}

TEST_CASE("Server-side apply without a field manager is refused before sending") {
  TestServer s;
  s.Start();
  RealClock clock;
  auto client = ClientFor(s, clock);
  auto r = client->Patch(PodsResource().InNamespace("a").Named("b"), PatchType::kApply, "{}", {});
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
}

// Streams `lines` as a chunked watch response, one chunk per line.
void ServeWatch(httplib::Server& server, const std::string& path, std::vector<std::string> lines,
                std::string* query = nullptr) {
  server.Get(path, [lines, query](const httplib::Request& req, httplib::Response& res) {
    if (query) *query = req.get_param_value("watch") + "|" + req.get_param_value("resourceVersion") + "|" +
                        req.get_param_value("allowWatchBookmarks");
    auto sent = std::make_shared<size_t>(0);
    res.set_chunked_content_provider("application/json", [lines, sent](size_t, httplib::DataSink& sink) {
      if (*sent < lines.size()) {
        std::string l = lines[(*sent)++] + "\n";
        sink.write(l.data(), l.size());
      } else {
        sink.done();
      }
      return true;
    });
  });
}

TEST_CASE("Watch delivers added, modified, deleted and bookmark events in order") {
  TestServer s;
  std::string query;
  ServeWatch(s.server(), "/api/v1/namespaces/ns/pods",
             {R"({"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"11"}}})",
              R"({"type":"MODIFIED","object":{"metadata":{"name":"a","resourceVersion":"12"}}})",
              R"({"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"13"}}})",
              R"({"type":"DELETED","object":{"metadata":{"name":"a","resourceVersion":"14"}}})"},
             &query);
  s.Start();
  RealClock clock;
  auto client = ClientFor(s, clock);
  std::vector<std::string> got;
  ListOptions opts;
  opts.resource_version = "10";
  opts.allow_bookmarks = true;
  Status st = client->Watch(PodsResource().InNamespace("ns"), opts, [&](const WatchEvent& ev) {
    Json o = Json::parse(ev.object);
    got.push_back(std::to_string(static_cast<int>(ev.type)) + ":" + o["metadata"]["resourceVersion"].get<std::string>());
    return true;
  }, nullptr);
  CHECK(st.ok());
  CHECK(got == std::vector<std::string>{"0:11", "1:12", "3:13", "2:14"});
  CHECK(query == "1|10|true");
}

TEST_CASE("A 410 ERROR event ends the watch with Gone") {
  TestServer s;
  ServeWatch(s.server(), "/api/v1/pods",
             {R"({"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"11"}}})",
              R"x({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (11)","reason":"Expired","code":410}})x"});
  s.Start();
  RealClock clock;
  auto client = ClientFor(s, clock);
  int events = 0;
  Status st = client->Watch(PodsResource(), {}, [&](const WatchEvent&) { return ++events > 0; }, nullptr);
  CHECK(events == 1);
  CHECK(st.code() == StatusCode::kGone);
  CHECK(st.message() == "too old resource version: 1 (11)");
}

TEST_CASE("A watch refused with 410 before streaming reports Gone") {
  TestServer s;
  s.server().Get("/api/v1/pods", [](const httplib::Request&, httplib::Response& res) {
    res.status = 410;
    res.set_content(StatusBody(410, "Expired", "The resourceVersion for the provided watch is too old."),
                    "application/json");
  });
  s.Start();
  RealClock clock;
  auto client = ClientFor(s, clock);
  Status st = client->Watch(PodsResource(), {}, [](const WatchEvent&) { return true; }, nullptr);
  CHECK(st.code() == StatusCode::kGone);
}

TEST_CASE("Cancelling a watch that is waiting for events returns promptly") {
  TestServer s;
  std::atomic<bool> release{false};
  s.server().Get("/api/v1/pods", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("application/json", [&](size_t, httplib::DataSink& sink) {
      static const std::string kLine = R"({"type":"ADDED","object":{"metadata":{"name":"a"}}})" "\n";
      sink.write(kLine.data(), kLine.size());
      // Hold the stream open like an idle watch, until the test ends.
      Eventually([&] { return release.load(); }, std::chrono::seconds(10), std::chrono::milliseconds(2));
      sink.done();
      return true;
    });
  });
  s.Start();
  RealClock clock;
  auto client = ClientFor(s, clock);
  WatchCanceller canceller;
  std::atomic<int> events{0};
  Status result;
  std::thread watcher([&] {
    result = client->Watch(PodsResource(), {}, [&](const WatchEvent&) {
      ++events;
      return true;
    }, &canceller);
  });
  REQUIRE(Eventually([&] { return events > 0; }, std::chrono::seconds(5), std::chrono::milliseconds(1)));
  REQUIRE(events == 1);
  canceller.Cancel();
  watcher.join();
  release = true;
  CHECK(result.code() == StatusCode::kCancelled);
}

TEST_CASE("A rotated token file is picked up without restarting the client") {
  auto dir = TempDir::Make("k8s-token");
  REQUIRE(dir.ok());
  const std::string token_path = dir->Sub("token");
  REQUIRE(WriteFileAtomic(token_path, "first\n").ok());
  TestServer s;
  std::vector<std::string> auth;
  std::mutex mu;
  s.server().Get("/api/v1/namespaces", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    auth.push_back(req.get_header_value("Authorization"));
    if (req.get_header_value("Authorization") == "Bearer expired") {
      res.status = 401;
      res.set_content(StatusBody(401, "Unauthorized", "Unauthorized"), "application/json");
      return;
    }
    res.set_content(R"({"items":[]})", "application/json");
  });
  s.Start();
  RealClock clock;
  KubeConfig config;
  config.token_file = token_path;
  auto client = ClientFor(s, clock, config);
  ResourceRef namespaces{"", "v1", "namespaces", "", "", ""};
  REQUIRE(client->List(namespaces, {}).ok());
  REQUIRE(WriteFileAtomic(token_path, "second\n").ok());  // rename: new inode, as kubelet rotation does
  REQUIRE(client->List(namespaces, {}).ok());
  CHECK(auth == std::vector<std::string>{"Bearer first", "Bearer second"});
}

}  // namespace
}  // namespace tusk::k8s
