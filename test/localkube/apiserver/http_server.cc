#include "test/localkube/apiserver/http_server.h"

#include "test/localkube/apiserver/http_util.h"

#include "test/localkube/apiserver/discovery.h"
#include "test/localkube/apiserver/kinds.h"
#include "test/localkube/apiserver/meta_util.h"
#include "test/localkube/apiserver/request_info.h"
#include "test/localkube/apiserver/table.h"

namespace tusk::localkube {

using namespace http;  // NOLINT: the handlers' shared vocabulary

namespace {

json RootPaths(const Registry& reg) {
  json paths = json::array({"/api", "/api/v1", "/apis", "/healthz", "/livez", "/openapi/v3", "/readyz", "/version"});
  for (const auto& r : reg.All()) {
    for (const auto& v : r->versions) {
      if (!r->group.empty()) {
        paths.push_back("/apis/" + r->group);
        paths.push_back("/apis/" + r->group + "/" + v);
      }
    }
  }
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  return {{"paths", paths}};
}

}  // namespace

HttpServer::HttpServer(Api* api, Clock& clock, HttpServerOptions options)
    : api_(api), clock_(clock), options_(std::move(options)) {
  server_ = std::make_unique<httplib::SSLServer>(options_.cert_path.c_str(), options_.key_path.c_str());
  // Watches hold a connection (and its thread) for minutes.
  server_->new_task_queue = [] { return new httplib::ThreadPool(512); };
  server_->set_payload_max_length(options_.max_body_bytes * 4);
  server_->set_keep_alive_max_count(10000);
  server_->set_tcp_nodelay(true);  // watch events and small replies must not wait for delayed ACKs
  server_->set_read_timeout(std::chrono::seconds(30));
  server_->set_write_timeout(std::chrono::seconds(30));
  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    try {
      Handle(req, res);
    } catch (const std::exception& e) {
      // A bug, not the client's fault: answer as kube-apiserver does.
      WriteError(res, InternalErr(e.what()));
    }
  };
  server_->Get(".*", handler);
  server_->Post(".*", handler);
  server_->Put(".*", handler);
  server_->Patch(".*", handler);
  server_->Delete(".*", handler);
}

HttpServer::~HttpServer() { Stop(); }

StatusOr<int> HttpServer::Bind(bool fallback_any) {
  if (!server_->is_valid()) return InternalError("TLS server could not load its certificate or key");
  if (options_.port > 0 && server_->bind_to_port(options_.host.c_str(), options_.port)) {
    port_ = options_.port;
    return port_;
  }
  if (options_.port > 0 && !fallback_any) return UnavailableError("port " + std::to_string(options_.port) + " is taken");
  port_ = server_->bind_to_any_port(options_.host.c_str());
  if (port_ <= 0) return UnavailableError("could not bind a port on " + options_.host);
  return port_;
}

void HttpServer::Serve() { server_->listen_after_bind(); }

void HttpServer::Stop() {
  if (server_) server_->stop();
}

std::optional<UserInfo> HttpServer::Authenticate(const httplib::Request& req) const {
  std::string auth = req.get_header_value("Authorization");
  if (auth.rfind("Bearer ", 0) != 0) return std::nullopt;
  std::string token = auth.substr(7);
  if (!options_.admin_token.empty() && token == options_.admin_token) {
    return UserInfo{"kubernetes-admin", "", {"system:masters", "system:authenticated"}};
  }
  return api_->AuthenticateToken(token, clock_.WallNow());
}

RbacPolicy HttpServer::Policy() const {
  RbacPolicy p;
  auto load = [&](const char* gr, std::vector<json>& out) {
    for (const auto& o : api_->store().List(gr, "", nullptr).items) out.push_back(*o);
  };
  load("clusterroles.rbac.authorization.k8s.io", p.cluster_roles);
  load("roles.rbac.authorization.k8s.io", p.roles);
  load("clusterrolebindings.rbac.authorization.k8s.io", p.cluster_role_bindings);
  load("rolebindings.rbac.authorization.k8s.io", p.role_bindings);
  return p;
}

bool HttpServer::Authorized(const UserInfo& user, const RequestAttributes& attrs) const {
  if (user.has_group("system:masters")) return true;
  return Authorize(Policy(), user, attrs);
}

void HttpServer::Handle(const httplib::Request& req, httplib::Response& res) {
  const std::string& path = req.path;
  if (path == "/healthz" || path == "/livez" || path == "/readyz") {
    res.set_content("ok", "text/plain");
    return;
  }
  auto user = Authenticate(req);
  if (!user) return WriteError(res, Unauthorized());
  RequestInfo info = ParseRequestInfo(req.method, path, Truthy(Param(req, "watch")));
  Call call{req, res, *user, info, nullptr};
  if (!info.resource_request) {
    RequestAttributes attrs;
    attrs.resource_request = false;
    attrs.verb = req.method == "GET" ? "get" : info.verb;
    attrs.path = path;
    if (!Authorized(*user, attrs)) return WriteError(res, Forbidden("", "", "", DenialText(*user, attrs)));
    const Registry& reg = api_->registry();
    json doc;
    if (path == "/version" || path == "/version/") {
      doc = VersionInfo();
    } else if (path == "/api" || path == "/api/") {
      doc = ApiVersions(req.get_header_value("Host"));
    } else if (path == "/apis" || path == "/apis/") {
      doc = ApiGroupList(reg);
    } else if (path == "/") {
      doc = RootPaths(reg);
    } else if (path == "/openapi/v3") {
      doc = OpenApiV3Index(reg);
    } else if (path.rfind("/openapi/v3/", 0) == 0) {
      doc = OpenApiV3Document(reg, path.substr(12));
    } else if (!info.api_prefix.empty()) {
      if (info.api_prefix == "apis" && info.group.empty()) {
        std::string g = path.substr(6);
        while (!g.empty() && g.back() == '/') g.pop_back();
        doc = ApiGroup(reg, g);
      } else {
        doc = ApiResourceList(reg, info.group, info.version);
      }
    }
    if (doc.is_null()) {
      if (path.rfind("/api", 0) == 0 || path.rfind("/openapi", 0) == 0) return WriteError(res, ResourceNotFound());
      return WriteJson(res, 404, RootPaths(reg));
    }
    return WriteJson(res, 200, doc);
  }
  call.r = api_->registry().Lookup(info.group, info.resource);
  if (!call.r || !call.r->serves(info.version)) return WriteError(res, ResourceNotFound());
  if (!info.subresource.empty() && !call.r->has_sub(info.subresource)) return WriteError(res, ResourceNotFound());
  RequestAttributes attrs{true, info.verb, info.group, info.resource, info.subresource,
                          AuthorizationName(info, Param(req, "fieldSelector")),
                          call.r->namespaced || info.resource == "namespaces" ? info.ns : "", ""};
  if (!Authorized(*user, attrs)) {
    return WriteError(res, Forbidden(info.group, info.resource, info.name, DenialText(*user, attrs)));
  }
  if (call.r->namespaced && info.ns.empty() && !(info.verb == "list" || info.verb == "watch")) {
    return WriteError(res, ResourceNotFound());
  }
  if (!call.r->stored) return HandleReview(call);
  if (!info.subresource.empty()) return HandleSubresource(call);
  HandleResource(call);
}

void HttpServer::HandleResource(Call& call) {
  const auto& req = call.req;
  auto& res = call.res;
  const ResourceInfo& r = *call.r;
  const std::string gr = r.group_resource();
  const std::string ns = r.namespaced ? call.info.ns : "";
  const std::string& name = call.info.name;
  const std::string& version = call.info.version;
  std::string include = Param(req, "includeObject");
  if (!include.empty() && include != "None" && include != "Metadata" && include != "Object") {
    return WriteError(res, BadRequest("unrecognized includeObject value: \"" + include + "\""));
  }
  if (include.empty()) include = "Metadata";
  auto now = std::chrono::system_clock::now();
  if (req.method == "GET") {
    if (call.info.verb == "watch") return HandleWatch(call);
    if (!name.empty()) {
      auto obj = api_->Get(gr, ns, name, version);
      if (!obj.ok()) return WriteError(res, obj.error());
      if (WantsTable(req)) {
        json t = BuildTable(r, version, {*obj}, include, now);
        t["metadata"]["resourceVersion"] = StrAt(*obj, "/metadata/resourceVersion"_json_pointer);
        return WriteJson(res, 200, t, "application/json;as=Table;v=v1;g=meta.k8s.io");
      }
      return WriteJson(res, 200, *obj);
    }
    if (!WantsTable(req) && version == r.versions.front()) {
      // Serialized straight from the stored objects: no copy of each item.
      auto raw = api_->ListRaw(gr, ns, ListOptionsFrom(req));
      if (!raw.ok()) return WriteError(res, raw.error());
      std::string body = json({{"kind", r.kind + "List"}, {"apiVersion", r.api_version(version)}}).dump();
      body.pop_back();
      body += ",\"metadata\":" + raw->metadata.dump() + ",\"items\":[";
      for (size_t i = 0; i < raw->items.size(); ++i) {
        if (i) body += ',';
        body += raw->items[i]->dump();
      }
      body += "]}\n";
      res.status = 200;
      res.set_content(std::move(body), "application/json");
      return;
    }
    auto list = api_->List(gr, ns, ListOptionsFrom(req), version);
    if (!list.ok()) return WriteError(res, list.error());
    if (WantsTable(req)) {
      std::vector<json> items((*list)["items"].begin(), (*list)["items"].end());
      json t = BuildTable(r, version, items, include, now);
      t["metadata"] = (*list)["metadata"];
      return WriteJson(res, 200, t, "application/json;as=Table;v=v1;g=meta.k8s.io");
    }
    return WriteJson(res, 200, *list);
  }
  if (req.method == "POST") {
    if (!name.empty()) return WriteError(res, MethodNotAllowed("create", r.group, r.resource));
    auto body = ParseBody(req, options_.max_body_bytes);
    if (!body.ok()) return WriteError(res, body.error());
    auto out = api_->Create(gr, ns, *body, WriteOptionsFrom(req));
    if (!out.ok()) return WriteError(res, out.error());
    AddWarnings(res, out->warnings);
    return WriteJson(res, 201, api_->AsVersion(r, out->object, version));
  }
  if (req.method == "PUT") {
    if (name.empty()) return WriteError(res, MethodNotAllowed("update", r.group, r.resource));
    auto body = ParseBody(req, options_.max_body_bytes);
    if (!body.ok()) return WriteError(res, body.error());
    auto out = api_->Update(gr, ns, name, *body, WriteOptionsFrom(req));
    if (!out.ok()) return WriteError(res, out.error());
    AddWarnings(res, out->warnings);
    return WriteJson(res, 200, api_->AsVersion(r, out->object, version));
  }
  if (req.method == "PATCH") {
    if (name.empty()) return WriteError(res, MethodNotAllowed("patch", r.group, r.resource));
    auto type = PatchTypeFromContentType(req.get_header_value("Content-Type"));
    if (!type) {
      if (r.crd) {
        return WriteError(res, UnsupportedMediaType({"application/json-patch+json", "application/merge-patch+json",
                                                     "application/apply-patch+yaml"}));
      }
      return WriteError(res, UnsupportedMediaType({"application/json-patch+json", "application/merge-patch+json",
                                                   "application/strategic-merge-patch+json",
                                                   "application/apply-patch+yaml"}));
    }
    if (req.body.size() > options_.max_body_bytes) {
      return WriteError(res, TooLarge("limit is " + std::to_string(options_.max_body_bytes)));
    }
    auto out = api_->Patch(gr, ns, name, *type, req.body, WriteOptionsFrom(req));
    if (!out.ok()) return WriteError(res, out.error());
    AddWarnings(res, out->warnings);
    return WriteJson(res, out->created ? 201 : 200, api_->AsVersion(r, out->object, version));
  }
  if (req.method == "DELETE") {
    DeleteOptions opts;
    if (!req.body.empty()) {
      json body = json::parse(req.body, nullptr, false);
      if (body.is_object()) {
        opts.propagation_policy = body.value("propagationPolicy", "");
        if (body.contains("gracePeriodSeconds") && body["gracePeriodSeconds"].is_number()) {
          opts.grace_period_seconds = body["gracePeriodSeconds"].get<int64_t>();
        }
        if (body.value("orphanDependents", false)) opts.propagation_policy = "Orphan";
        const json pre = body.value("preconditions", json::object());
        opts.precondition_uid = pre.value("uid", "");
        opts.precondition_resource_version = pre.value("resourceVersion", "");
        opts.dry_run = body.contains("dryRun") && !body["dryRun"].empty();
      }
    }
    if (req.has_param("propagationPolicy")) opts.propagation_policy = Param(req, "propagationPolicy");
    if (req.has_param("gracePeriodSeconds")) opts.grace_period_seconds = std::stoll(Param(req, "gracePeriodSeconds"));
    if (req.has_param("dryRun")) opts.dry_run = true;
    if (name.empty()) {
      auto list = api_->List(gr, ns, ListOptionsFrom(req));
      if (!list.ok()) return WriteError(res, list.error());
      for (const auto& item : (*list)["items"]) {
        api_->Delete(gr, item["metadata"].value("namespace", ""), item["metadata"].value("name", ""), opts);
      }
      return WriteJson(res, 200, {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", json::object()},
                                  {"status", "Success"}});
    }
    auto out = api_->Delete(gr, ns, name, opts);
    if (!out.ok()) return WriteError(res, out.error());
    bool pending = out->contains("/metadata/deletionTimestamp"_json_pointer) && api_->store().Get(gr, ns, name);
    if (pending || ReturnsDeletedObject(r)) return WriteJson(res, 200, api_->AsVersion(r, *out, version));
    return WriteJson(res, 200, SuccessStatus(r, *out));
  }
  WriteError(res, MethodNotAllowed(req.method, r.group, r.resource));
}

void HttpServer::HandleWatch(Call& call) {
  const auto& req = call.req;
  auto& res = call.res;
  const ResourceInfo& r = *call.r;
  ListOptions opts = ListOptionsFrom(req);
  if (!call.info.name.empty()) {
    opts.field_selector = "metadata.name=" + call.info.name + (opts.field_selector.empty() ? "" : "," + opts.field_selector);
  }
  const std::string ns = r.namespaced ? call.info.ns : "";
  auto ch = api_->Watch(r.group_resource(), ns, opts);
  if (!ch.ok()) {
    if (ch.error().code == 410) {
      json ev = {{"type", "ERROR"}, {"object", ch.error().ToStatus()}};
      return WriteJson(res, 200, ev, "application/json;stream=watch");
    }
    return WriteError(res, ch.error());
  }
  std::string timeout = Param(req, "timeoutSeconds");
  auto now = std::chrono::steady_clock::now();
  auto deadline = now + (timeout.empty() ? std::chrono::seconds(1800 + std::rand() % 1800)
                                         : std::chrono::seconds(std::strtoll(timeout.c_str(), nullptr, 10)));
  bool bookmarks = Truthy(Param(req, "allowWatchBookmarks"));
  bool table = WantsTable(req);
  auto interval = options_.bookmark_interval;
  auto channel = *ch;
  auto info = call.r;
  std::string version = call.info.version;
  auto last_bookmark = std::make_shared<std::chrono::steady_clock::time_point>(now);
  res.set_header("Cache-Control", "no-cache, private");
  res.set_chunked_content_provider(
      table ? "application/json;as=Table;v=v1;g=meta.k8s.io;stream=watch" : "application/json;stream=watch",
      [this, channel, info, version, deadline, bookmarks, table, interval, last_bookmark](size_t, httplib::DataSink& sink) {
        auto bookmark = [&] {
          json ev = {{"type", "BOOKMARK"},
                     {"object", {{"kind", info->kind}, {"apiVersion", info->api_version(version)},
                                 {"metadata", {{"resourceVersion", std::to_string(channel->seen_rv())},
                                               {"creationTimestamp", nullptr}}}}}};
          std::string line = ev.dump() + "\n";
          *last_bookmark = std::chrono::steady_clock::now();
          return sink.write(line.data(), line.size());
        };
        auto t = std::chrono::steady_clock::now();
        if (t >= deadline) {
          if (bookmarks) bookmark();
          sink.done();
          return true;
        }
        auto wait = std::min<std::chrono::steady_clock::duration>(std::chrono::milliseconds(250), deadline - t);
        auto ev = channel->Pop(std::chrono::duration_cast<std::chrono::milliseconds>(wait));
        if (ev) {
          if (!table && ev->serialized && version == info->versions.front()) {
            std::string line = std::string("{\"type\":\"") + EventTypeName(ev->type) + "\",\"object\":" +
                               *ev->serialized + "}\n";
            return sink.write(line.data(), line.size());
          }
          json obj = api_->AsVersion(*info, *ev->object, version);
          if (table) {
            obj = BuildTable(*info, version, {obj}, "Metadata", std::chrono::system_clock::now());
            obj["metadata"]["resourceVersion"] = StrAt(*ev->object, "/metadata/resourceVersion"_json_pointer);
          }
          std::string line = json({{"type", EventTypeName(ev->type)}, {"object", obj}}).dump() + "\n";
          return sink.write(line.data(), line.size());
        }
        if (channel->closed()) {
          sink.done();
          return true;
        }
        if (bookmarks && std::chrono::steady_clock::now() - *last_bookmark >= interval) return bookmark();
        return sink.is_writable();
      },
      [channel](bool) { channel->Close(); });
}

}  // namespace tusk::localkube
