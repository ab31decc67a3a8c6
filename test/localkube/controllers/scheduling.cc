#include "test/localkube/controllers/scheduling.h"

#include <algorithm>
#include <set>

#include "test/localkube/apiserver/meta_util.h"
#include "test/localkube/apiserver/selectors.h"
#include "test/localkube/controllers/object_util.h"

namespace tusk::localkube {
namespace {

const json kEmpty = json::object();

std::string NodeName(const json& node) { return node["metadata"].value("name", ""); }

json Labels(const json& obj) { return obj["metadata"].value("labels", json::object()); }

bool ExpressionMatches(const json& expr, const std::optional<std::string>& value) {
  std::string op = expr.value("operator", "");
  std::vector<std::string> values;
  for (const auto& v : expr.value("values", json::array())) values.push_back(v.get<std::string>());
  bool in = value && std::find(values.begin(), values.end(), *value) != values.end();
  if (op == "In") return in;
  if (op == "NotIn") return !in;
  if (op == "Exists") return value.has_value();
  if (op == "DoesNotExist") return !value.has_value();
  if ((op == "Gt" || op == "Lt") && value && values.size() == 1) {
    try {
      long long have = std::stoll(*value), want = std::stoll(values[0]);
      return op == "Gt" ? have > want : have < want;
    } catch (const std::exception&) {
      return false;
    }
  }
  return false;
}

bool NodeReady(const json& node) {
  json c = FindCondition(node, "Ready");
  return c.is_object() && c.value("status", "") == "True";
}

// The pods `term` selects, for a pod in namespace `ns`.
bool TermSelects(const json& term, const std::string& ns, const json& other) {
  std::string other_ns = other["metadata"].value("namespace", "");
  json namespaces = term.value("namespaces", json::array());
  if (!namespaces.empty()) {
    if (std::find(namespaces.begin(), namespaces.end(), other_ns) == namespaces.end()) return false;
  } else if (!term.contains("namespaceSelector") && other_ns != ns) {
    return false;  // an empty namespaceSelector means every namespace
  }
  auto sel = LabelSelector::FromObject(term.value("labelSelector", json::object()));
  // A null labelSelector selects nothing.
  if (!sel.ok() || !term.contains("labelSelector")) return false;
  return sel->Matches(Labels(other));
}

struct Context {
  const json& pod;
  const ClusterView& view;
  std::string ns;
  std::map<std::string, const json*> node_by_name;
  std::vector<const json*> placed;  // active pods already on a node
};

// Nodes of `ctx` sharing `node`'s topology domain for `key`.
bool SameDomain(const Context& ctx, const json& node, const std::string& other_node, const std::string& key) {
  auto it = ctx.node_by_name.find(other_node);
  if (it == ctx.node_by_name.end()) return false;
  json a = Labels(node), b = Labels(*it->second);
  return a.contains(key) && b.contains(key) && a[key] == b[key];
}

// Matching pods in node's domain for the term.
int MatchesInDomain(const Context& ctx, const json& term, const json& node) {
  int n = 0;
  for (const json* p : ctx.placed) {
    if (TermSelects(term, ctx.ns, *p) &&
        SameDomain(ctx, node, StrAt(*p, "/spec/nodeName"_json_pointer), term.value("topologyKey", ""))) {
      ++n;
    }
  }
  return n;
}

const json& Affinity(const json& pod, const char* kind) {
  const json* a = Find(pod["spec"], "affinity");
  if (!a || !a->contains(kind)) return kEmpty;
  return (*a)[kind];
}

std::string InterPodFailure(const Context& ctx, const json& node) {
  for (const auto& term : Affinity(ctx.pod, "podAffinity").value("requiredDuringSchedulingIgnoredDuringExecution", json::array())) {
    if (MatchesInDomain(ctx, term, node) > 0) continue;
    // The first pod of a group that selects itself may go anywhere.
    bool any = false;
    for (const json* p : ctx.placed) any |= TermSelects(term, ctx.ns, *p);
    if (any || !TermSelects(term, ctx.ns, ctx.pod)) return "node(s) didn't match pod affinity rules";
  }
  for (const auto& term : Affinity(ctx.pod, "podAntiAffinity").value("requiredDuringSchedulingIgnoredDuringExecution", json::array())) {
    if (MatchesInDomain(ctx, term, node) > 0) return "node(s) didn't match pod anti-affinity rules";
  }
  // Existing pods' anti-affinity applies to newcomers too.
  for (const json* p : ctx.placed) {
    for (const auto& term : Affinity(*p, "podAntiAffinity").value("requiredDuringSchedulingIgnoredDuringExecution", json::array())) {
      if (TermSelects(term, (*p)["metadata"].value("namespace", ""), ctx.pod) &&
          SameDomain(ctx, node, StrAt(*p, "/spec/nodeName"_json_pointer), term.value("topologyKey", ""))) {
        return "node(s) didn't satisfy existing pods anti-affinity rules";
      }
    }
  }
  return "";
}

std::string NodeAffinityFailure(const json& pod, const json& node) {
  json labels = Labels(node);
  const json selector = pod["spec"].value("nodeSelector", json::object());
  for (const auto& [k, v] : selector.items()) {
    if (!labels.contains(k) || labels[k] != v) return "node(s) didn't match Pod's node affinity/selector";
  }
  const json& na = Affinity(pod, "nodeAffinity");
  if (na.contains("requiredDuringSchedulingIgnoredDuringExecution") &&
      !NodeSelectorMatches(na["requiredDuringSchedulingIgnoredDuringExecution"], node)) {
    return "node(s) didn't match Pod's node affinity/selector";
  }
  return "";
}

std::string TaintFailure(const json& pod, const json& node) {
  const json tolerations = pod["spec"].value("tolerations", json::array());
  for (const auto& taint : node.value("spec", json::object()).value("taints", json::array())) {
    std::string effect = taint.value("effect", "");
    if (effect != "NoSchedule" && effect != "NoExecute") continue;
    if (!Tolerates(tolerations, taint)) {
      return "node(s) had untolerated taint {" + taint.value("key", "") + ": " + taint.value("value", "") + "}";
    }
  }
  return "";
}

}  // namespace

bool NodeSelectorTermMatches(const json& term, const json& node) {
  json labels = Labels(node);
  if (!term.contains("matchExpressions") && !term.contains("matchFields")) return false;
  for (const auto& e : term.value("matchExpressions", json::array())) {
    std::string key = e.value("key", "");
    std::optional<std::string> v;
    if (labels.contains(key) && labels[key].is_string()) v = labels[key].get<std::string>();
    if (!ExpressionMatches(e, v)) return false;
  }
  for (const auto& e : term.value("matchFields", json::array())) {
    if (e.value("key", "") != "metadata.name" || !ExpressionMatches(e, NodeName(node))) return false;
  }
  return true;
}

bool NodeSelectorMatches(const json& node_selector, const json& node) {
  for (const auto& term : node_selector.value("nodeSelectorTerms", json::array())) {
    if (NodeSelectorTermMatches(term, node)) return true;
  }
  return false;
}

bool Tolerates(const json& tolerations, const json& taint) {
  for (const auto& t : tolerations) {
    std::string effect = t.value("effect", "");
    if (!effect.empty() && effect != taint.value("effect", "")) continue;
    std::string key = t.value("key", "");
    std::string op = t.value("operator", "Equal");
    if (key.empty()) {
      if (op == "Exists") return true;
      continue;
    }
    if (key != taint.value("key", "")) continue;
    if (op == "Exists" || t.value("value", "") == taint.value("value", "")) return true;
  }
  return false;
}

Placement Schedule(const json& pod, const ClusterView& view) {
  Context ctx{pod, view, pod["metadata"].value("namespace", ""), {}, {}};
  for (const auto& n : view.nodes) ctx.node_by_name[NodeName(n)] = &n;
  for (const auto& p : view.pods) {
    if (!StrAt(p, "/spec/nodeName"_json_pointer).empty() && !PodTerminated(p) &&
        p["metadata"].value("uid", "") != pod["metadata"].value("uid", "")) {
      ctx.placed.push_back(&p);
    }
  }
  Placement out;
  const std::string total = std::to_string(view.nodes.size());
  auto fail = [&](const std::string& why) {
    out.message = "0/" + total + " nodes are available: " + why + ". preemption: 0/" + total +
                  " nodes are available: " + total + " Preemption is not helpful for scheduling.";
    return out;
  };
  if (view.nodes.empty()) {
    out.message = "no nodes available to schedule pods";
    return out;
  }
  // Volumes first: a missing claim or an unbound Immediate one fails every node.
  std::vector<json> pinned;          // bound PVs' required node selectors
  std::string selected_node;         // a WaitForFirstConsumer claim's chosen node
  std::vector<std::string> unselected, selected_unbound;
  for (const auto& v : pod["spec"].value("volumes", json::array())) {
    if (!v.contains("persistentVolumeClaim")) continue;
    std::string claim = v["persistentVolumeClaim"].value("claimName", "");
    auto it = view.claims.find(ctx.ns + "/" + claim);
    if (it == view.claims.end()) return fail("persistentvolumeclaim \"" + claim + "\" not found");
    const json& pvc = it->second;
    if (IsDeleting(pvc)) return fail("persistentvolumeclaim \"" + claim + "\" is being deleted");
    std::string volume = StrAt(pvc, "/spec/volumeName"_json_pointer);
    if (!volume.empty()) {
      auto pv = view.volumes.find(volume);
      if (pv != view.volumes.end() && pv->second.contains("/spec/nodeAffinity/required"_json_pointer)) {
        pinned.push_back(pv->second["spec"]["nodeAffinity"]["required"]);
      }
      // Binding is done once the claim says Bound, not when volumeName is set.
      if (pv == view.volumes.end() || StrAt(pvc, "/status/phase"_json_pointer) != "Bound") {
        selected_unbound.push_back(ctx.ns + "/" + claim);
      }
      continue;
    }
    std::string cls = StrAt(pvc, "/spec/storageClassName"_json_pointer);
    auto sc = view.storage_classes.find(cls);
    if (sc == view.storage_classes.end() || sc->second.value("volumeBindingMode", "Immediate") != "WaitForFirstConsumer") {
      return fail("pod has unbound immediate PersistentVolumeClaims");
    }
    std::string sel = pvc["metadata"].value("annotations", json::object()).value(kSelectedNodeAnnotation, "");
    if (sel.empty()) {
      unselected.push_back(ctx.ns + "/" + claim);
    } else {
      selected_node = sel;
      selected_unbound.push_back(ctx.ns + "/" + claim);
    }
  }
  std::map<std::string, int> reasons;
  struct Candidate {
    std::string name;
    int64_t score;
    int pods;
  };
  std::vector<Candidate> feasible;
  for (const auto& node : view.nodes) {
    std::string why;
    if (node.value("spec", json::object()).value("unschedulable", false)) why = "node(s) were unschedulable";
    if (why.empty()) why = TaintFailure(pod, node);
    // A node not Ready counts as carrying the not-ready taint, as Kubernetes' node controller adds it.
    if (why.empty() && !NodeReady(node) &&
        !Tolerates(pod["spec"].value("tolerations", json::array()),
                   {{"key", "node.kubernetes.io/not-ready"}, {"effect", "NoSchedule"}})) {
      why = "node(s) had untolerated taint {node.kubernetes.io/not-ready: }";
    }
    if (why.empty()) why = NodeAffinityFailure(pod, node);
    if (why.empty()) {
      bool conflict = !selected_node.empty() && selected_node != NodeName(node);
      for (const auto& sel : pinned) conflict |= !NodeSelectorMatches(sel, node);
      if (conflict) why = "node(s) had volume node affinity conflict";
    }
    if (why.empty()) why = InterPodFailure(ctx, node);
    if (!why.empty()) {
      ++reasons[why];
      continue;
    }
    Candidate c{NodeName(node), 0, 0};
    for (const json* p : ctx.placed) c.pods += StrAt(*p, "/spec/nodeName"_json_pointer) == c.name ? 1 : 0;
    for (const auto& t : Affinity(pod, "nodeAffinity").value("preferredDuringSchedulingIgnoredDuringExecution", json::array())) {
      if (NodeSelectorTermMatches(t.value("preference", json::object()), node)) c.score += t.value("weight", 0);
    }
    for (const auto& t : Affinity(pod, "podAffinity").value("preferredDuringSchedulingIgnoredDuringExecution", json::array())) {
      if (MatchesInDomain(ctx, t.value("podAffinityTerm", json::object()), node) > 0) c.score += t.value("weight", 0);
    }
    for (const auto& t : Affinity(pod, "podAntiAffinity").value("preferredDuringSchedulingIgnoredDuringExecution", json::array())) {
      if (MatchesInDomain(ctx, t.value("podAffinityTerm", json::object()), node) > 0) c.score -= t.value("weight", 0);
    }
    feasible.push_back(c);
  }
  if (feasible.empty()) {
    std::string why;
    for (const auto& [reason, count] : reasons) why += (why.empty() ? "" : ", ") + std::to_string(count) + " " + reason;
    return fail(why);
  }
  std::sort(feasible.begin(), feasible.end(), [](const Candidate& a, const Candidate& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.pods != b.pods) return a.pods < b.pods;
    return a.name < b.name;
  });
  out.node = feasible.front().name;
  out.claims_to_provision = unselected;
  out.waiting_for_volumes = !selected_unbound.empty();
  return out;
}

}  // namespace tusk::localkube
