// Subresources (status, finalize, token, log, binding, eviction, scale)
// and the review kinds that are answered, never stored.
#include "test/localkube/apiserver/http_util.h"
#include "test/localkube/apiserver/meta_util.h"
#include "test/localkube/apiserver/patch.h"
#include "test/localkube/apiserver/scale.h"

namespace tusk::localkube {

using namespace http;  // NOLINT: the handlers' shared vocabulary

void HttpServer::HandleSubresource(Call& call) {
  const auto& req = call.req;
  auto& res = call.res;
  const ResourceInfo& r = *call.r;
  const std::string gr = r.group_resource();
  const std::string ns = r.namespaced ? call.info.ns : "";
  const std::string& name = call.info.name;
  const std::string& sub = call.info.subresource;
  const std::string& version = call.info.version;
  if (sub == "status" || sub == "finalize") {
    if (req.method == "GET") {
      auto obj = api_->Get(gr, ns, name, version);
      if (!obj.ok()) return WriteError(res, obj.error());
      return WriteJson(res, 200, *obj);
    }
    ApiOr<WriteOutcome> out = ApiError{};
    if (req.method == "PUT") {
      auto body = ParseBody(req, options_.max_body_bytes);
      if (!body.ok()) return WriteError(res, body.error());
      out = api_->Update(gr, ns, name, *body, WriteOptionsFrom(req), sub);
    } else if (req.method == "PATCH") {
      auto type = PatchTypeFromContentType(req.get_header_value("Content-Type"));
      if (!type) return WriteError(res, UnsupportedMediaType({"application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"}));
      out = api_->Patch(gr, ns, name, *type, req.body, WriteOptionsFrom(req), sub);
    } else {
      return WriteError(res, MethodNotAllowed(req.method, r.group, r.resource + "/" + sub));
    }
    if (!out.ok()) return WriteError(res, out.error());
    AddWarnings(res, out->warnings);
    return WriteJson(res, 200, api_->AsVersion(r, out->object, version));
  }
  if (sub == "token" && req.method == "POST") {
    auto body = ParseBody(req, options_.max_body_bytes);
    if (!body.ok()) return WriteError(res, body.error());
    auto out = api_->CreateToken(ns, name, *body, clock_.WallNow());
    if (!out.ok()) return WriteError(res, out.error());
    AddWarnings(res, out->warnings);
    return WriteJson(res, 201, out->object);
  }
  if (sub == "log" && req.method == "GET") {
    auto pod = api_->Get(gr, ns, name);
    if (!pod.ok()) return WriteError(res, pod.error());
    if (options_.pod_logs) return options_.pod_logs(*pod, req, res);
    return WriteError(res, BadRequest("pod \"" + name + "\" has no kubelet serving its logs"));
  }
  if (sub == "binding" && req.method == "POST") {
    auto body = ParseBody(req, options_.max_body_bytes);
    if (!body.ok()) return WriteError(res, body.error());
    std::string node = body->value("target", json::object()).value("name", "");
    json patch = {{"spec", {{"nodeName", node}}}};
    auto pod = api_->Get(gr, ns, name);
    if (!pod.ok()) return WriteError(res, pod.error());
    if (!StrAt(*pod, "/spec/nodeName"_json_pointer).empty()) {
      return WriteError(res, Conflict("", "pods", name, "pod " + name + " is already assigned to node \"" +
                                                            StrAt(*pod, "/spec/nodeName"_json_pointer) + "\""));
    }
    auto out = api_->Patch(gr, ns, name, PatchType::kMerge, patch.dump());
    if (!out.ok()) return WriteError(res, out.error());
    return WriteJson(res, 201, {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", json::object()}, {"status", "Success"}, {"code", 201}});
  }
  if (sub == "eviction" && req.method == "POST") {
    auto out = api_->Delete(gr, ns, name);
    if (!out.ok()) return WriteError(res, out.error());
    return WriteJson(res, 201, {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", json::object()}, {"status", "Success"}, {"code", 201}});
  }
  if (sub == "scale") {
    auto obj = api_->Get(gr, ns, name);
    if (!obj.ok()) return WriteError(res, obj.error());
    const ScalePaths paths = ScalePathsOf(r);
    json scale = ScaleOf(*obj, paths);
    if (req.method == "GET") return WriteJson(res, 200, scale);
    if (req.method == "PUT") {
      auto body = ParseBody(req, options_.max_body_bytes);
      if (!body.ok()) return WriteError(res, body.error());
      scale = *body;
    } else if (req.method == "PATCH") {
      json patch = json::parse(req.body, nullptr, false);
      if (patch.is_discarded()) return WriteError(res, BadRequest("error decoding patch"));
      auto type = PatchTypeFromContentType(req.get_header_value("Content-Type"));
      std::string err;
      if (type == PatchType::kJson) {
        auto p = ApplyJsonPatch(scale, patch, &err);
        if (!p) return WriteError(res, BadRequest(err));
        scale = *p;
      } else {
        scale.merge_patch(patch);
      }
    } else {
      return WriteError(res, MethodNotAllowed(req.method, r.group, r.resource + "/" + sub));
    }
    auto update = ApplyScale(*obj, scale, paths);
    if (!update.ok()) return WriteError(res, update.error());
    auto out = api_->Update(gr, ns, name, *update, WriteOptionsFrom(req));
    if (!out.ok()) return WriteError(res, out.error());
    return WriteJson(res, 200, ScaleOf(out->object, paths));
  }
  WriteError(res, MethodNotAllowed(req.method, r.group, r.resource + "/" + sub));
}

void HttpServer::HandleReview(Call& call) {
  const auto& req = call.req;
  auto& res = call.res;
  const ResourceInfo& r = *call.r;
  if (req.method != "POST") return WriteError(res, MethodNotAllowed(req.method == "GET" ? "get" : req.method, r.group, r.resource));
  auto body = ParseBody(req, options_.max_body_bytes);
  if (!body.ok()) return WriteError(res, body.error());
  json out = *body;
  out["apiVersion"] = r.api_version(call.info.version);
  out["kind"] = r.kind;
  if (!out.contains("metadata")) out["metadata"] = json::object();
  out["metadata"]["creationTimestamp"] = nullptr;
  const json spec = out.value("spec", json::object());
  auto access = [&](const UserInfo& who) {
    RequestAttributes a;
    if (spec.contains("nonResourceAttributes")) {
      a.resource_request = false;
      a.path = spec["nonResourceAttributes"].value("path", "");
      a.verb = spec["nonResourceAttributes"].value("verb", "");
    } else {
      const json ra = spec.value("resourceAttributes", json::object());
      a.verb = ra.value("verb", "");
      a.group = ra.value("group", "");
      a.resource = ra.value("resource", "");
      a.subresource = ra.value("subresource", "");
      a.name = ra.value("name", "");
      a.ns = ra.value("namespace", "");
    }
    bool allowed = Authorized(who, a);
    json status = {{"allowed", allowed}};
    if (allowed && !who.has_group("system:masters")) status["reason"] = "RBAC: allowed by a binding";
    return status;
  };
  if (r.resource == "selfsubjectaccessreviews") {
    out["status"] = access(call.user);
  } else if (r.resource == "subjectaccessreviews") {
    UserInfo who{spec.value("user", ""), spec.value("uid", ""), {}};
    for (const auto& g : spec.value("groups", json::array())) who.groups.push_back(g);
    out["status"] = access(who);
  } else if (r.resource == "selfsubjectrulesreviews") {
    json resource_rules = json::array(), non_resource = json::array();
    for (const auto& rule : RulesFor(Policy(), call.user, spec.value("namespace", ""))) {
      if (rule.contains("nonResourceURLs")) {
        non_resource.push_back({{"verbs", rule["verbs"]}, {"nonResourceURLs", rule["nonResourceURLs"]}});
      } else {
        json rr = {{"verbs", rule.value("verbs", json::array())}, {"apiGroups", rule.value("apiGroups", json::array())},
                   {"resources", rule.value("resources", json::array())}};
        if (rule.contains("resourceNames")) rr["resourceNames"] = rule["resourceNames"];
        resource_rules.push_back(rr);
      }
    }
    out["status"] = {{"resourceRules", resource_rules}, {"nonResourceRules", non_resource}, {"incomplete", false}};
  } else if (r.resource == "selfsubjectreviews") {
    json ui = {{"username", call.user.name}, {"groups", call.user.groups}};
    if (!call.user.uid.empty()) ui["uid"] = call.user.uid;
    out["status"] = {{"userInfo", ui}};
  } else if (r.resource == "tokenreviews") {
    httplib::Request fake;
    fake.headers.emplace("Authorization", "Bearer " + spec.value("token", ""));
    auto who = Authenticate(fake);
    if (who) {
      out["status"] = {{"authenticated", true}, {"user", {{"username", who->name}, {"uid", who->uid}, {"groups", who->groups}}}};
    } else {
      out["status"] = {{"authenticated", false}, {"error", "invalid bearer token"}};
    }
  }
  WriteJson(res, 201, out);
}

}  // namespace tusk::localkube
