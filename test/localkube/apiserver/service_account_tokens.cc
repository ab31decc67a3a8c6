// TokenRequest (POST serviceaccounts/<name>/token) and the authentication of
// the tokens it issues, as kube-apiserver does both: a token is bound to its
// ServiceAccount and optionally to a Pod, Secret or Node, and stops working
// when any of them is gone.
#include <algorithm>

#include "test/localkube/apiserver/api.h"
#include "test/localkube/apiserver/meta_util.h"

namespace tusk::localkube {
namespace {

// A bound object deleted with a grace period keeps its tokens working this
// long past its deletionTimestamp, so a pod can still talk to the API while
// it shuts down.
constexpr auto kDeletedGrace = std::chrono::seconds(60);

int64_t UnixSeconds(WallTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

struct Binding {
  std::optional<BoundObject> pod, secret, node;
};

// Go's GroupVersionKind.String(), as kube-apiserver names an unsupported kind.
std::string GvkText(const std::string& api_version, const std::string& kind) {
  const auto slash = api_version.find('/');
  const std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
  const std::string version = slash == std::string::npos ? api_version : api_version.substr(slash + 1);
  return group + "/" + version + ", Kind=" + kind;
}

ApiOr<Binding> ResolveBinding(const Store& store, const std::string& ns, const std::string& sa_name, const json& ref) {
  Binding out;
  const std::string kind = ref.value("kind", "");
  const std::string api_version = ref.value("apiVersion", "");
  const std::string name = ref.value("name", "");
  const std::string uid = ref.value("uid", "");
  if (api_version.find('/') != std::string::npos || (kind != "Pod" && kind != "Secret" && kind != "Node")) {
    return BadRequest("cannot bind token to object of type " + GvkText(api_version, kind));
  }
  std::string found_uid;
  if (kind == "Pod") {
    ObjectPtr pod = store.Get("pods", ns, name);
    if (!pod) return NotFound("", "pods", name);
    if (StrAt(*pod, "/spec/serviceAccountName"_json_pointer) != sa_name) {
      return BadRequest("cannot bind token for serviceaccount \"" + sa_name +
                        "\" to pod running with different serviceaccount name.");
    }
    found_uid = StrAt(*pod, "/metadata/uid"_json_pointer);
    out.pod = BoundObject{name, found_uid};
    // The node a pod runs on is recorded too, for whoever reads the token.
    const std::string node = StrAt(*pod, "/spec/nodeName"_json_pointer);
    if (!node.empty()) {
      ObjectPtr n = store.Get("nodes", "", node);
      out.node = BoundObject{node, n ? StrAt(*n, "/metadata/uid"_json_pointer) : ""};
    }
  } else {
    const std::string gr = kind == "Secret" ? "secrets" : "nodes";
    ObjectPtr obj = store.Get(gr, kind == "Secret" ? ns : "", name);
    if (!obj) return NotFound("", gr, name);
    found_uid = StrAt(*obj, "/metadata/uid"_json_pointer);
    (kind == "Secret" ? out.secret : out.node) = BoundObject{name, found_uid};
  }
  if (!uid.empty() && uid != found_uid) {
    return Conflict("", kind, name,
                    "the UID in the bound object reference (" + uid +
                        ") does not match the UID in record. The object might have been deleted and then recreated");
  }
  return out;
}

// The object still stands for the token: the same uid, and not deleted
// longer ago than the grace.
bool StillBound(const ObjectPtr& obj, const std::string& uid, WallTime now) {
  if (!obj || StrAt(*obj, "/metadata/uid"_json_pointer) != uid) return false;
  const std::string deleted = StrAt(*obj, "/metadata/deletionTimestamp"_json_pointer);
  if (deleted.empty()) return true;
  auto at = ParseRfc3339(deleted);
  return at && now < *at + kDeletedGrace;
}

}  // namespace

ApiOr<WriteOutcome> Api::CreateToken(const std::string& ns, const std::string& name, const json& request,
                                     WallTime now) {
  ObjectPtr sa = store_->Get("serviceaccounts", ns, name);
  if (!sa) return NotFound("", "serviceaccounts", name);
  json spec;
  ServiceAccountClaims claims;
  try {
    spec = request.is_object() ? request.value("spec", json::object()) : json::object();
    if (!spec.is_object()) return BadRequest("TokenRequest spec must be an object");
    if (!spec.contains("audiences") || spec["audiences"].empty()) spec["audiences"] = json::array({kApiAudience});
    for (const auto& a : spec["audiences"]) claims.audiences.push_back(a.get<std::string>());
    if (!spec.contains("expirationSeconds")) spec["expirationSeconds"] = 3600;
    if (!spec["expirationSeconds"].is_number_integer()) return BadRequest("spec.expirationSeconds must be an integer");
    if (spec.contains("boundObjectRef") && !spec["boundObjectRef"].is_null()) {
      auto binding = ResolveBinding(*store_, ns, name, spec["boundObjectRef"]);
      if (!binding.ok()) return binding.error();
      claims.pod = binding->pod;
      claims.secret = binding->secret;
      claims.node = binding->node;
    }
  } catch (const json::exception& e) {
    return BadRequest(std::string("malformed TokenRequest: ") + e.what());
  }
  auto lifetime = GrantLifetime(spec["expirationSeconds"].get<int64_t>(), tokens_->lifetimes());
  if (!lifetime.ok()) return lifetime.error();
  spec["expirationSeconds"] = lifetime->seconds;
  claims.ns = ns;
  claims.name = name;
  claims.uid = StrAt(*sa, "/metadata/uid"_json_pointer);
  claims.expires = UnixSeconds(now) + lifetime->seconds;
  WriteOutcome out;
  out.created = true;
  if (!lifetime->warning.empty()) out.warnings.push_back(lifetime->warning);
  out.object = {{"kind", "TokenRequest"},
                {"apiVersion", "authentication.k8s.io/v1"},
                {"metadata", {{"name", name}, {"namespace", ns}, {"creationTimestamp", FormatRfc3339(now)}}},
                {"spec", spec},
                {"status", {{"token", tokens_->Issue(claims, UnixSeconds(now))},
                            {"expirationTimestamp", FormatRfc3339(now + std::chrono::seconds(lifetime->seconds))}}}};
  return out;
}

std::optional<UserInfo> Api::AuthenticateToken(const std::string& token, WallTime now) const {
  auto claims = tokens_->Verify(token, UnixSeconds(now));
  if (!claims) return std::nullopt;
  const auto& aud = claims->audiences;
  if (std::find(aud.begin(), aud.end(), kApiAudience) == aud.end()) return std::nullopt;
  if (!StillBound(store_->Get("serviceaccounts", claims->ns, claims->name), claims->uid, now)) return std::nullopt;
  if (claims->pod && !StillBound(store_->Get("pods", claims->ns, claims->pod->name), claims->pod->uid, now)) {
    return std::nullopt;
  }
  if (claims->secret &&
      !StillBound(store_->Get("secrets", claims->ns, claims->secret->name), claims->secret->uid, now)) {
    return std::nullopt;
  }
  // A pod's token records its node for information only; a token bound to
  // the node itself ends with it.
  if (claims->node && !claims->pod &&
      !StillBound(store_->Get("nodes", "", claims->node->name), claims->node->uid, now)) {
    return std::nullopt;
  }
  return UserInfo{"system:serviceaccount:" + claims->ns + ":" + claims->name, claims->uid,
                  {"system:serviceaccounts", "system:serviceaccounts:" + claims->ns, "system:authenticated"}};
}

}  // namespace tusk::localkube
