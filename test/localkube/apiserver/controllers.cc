#include "test/localkube/apiserver/controllers.h"

#include <algorithm>
#include <map>

#include "test/localkube/apiserver/meta_util.h"

namespace tusk::localkube {

void Controllers::Start() {
  thread_ = std::thread([this] {
    uint64_t seen = 0;
    int idle = 0;
    std::unique_lock<std::mutex> l(mu_);
    while (!stop_) {
      uint64_t rv = api_->store().current_rv();
      // A pass on every change, and once a second to retry what conflicted.
      if (rv != seen || ++idle >= 10) {
        seen = rv;
        idle = 0;
        l.unlock();
        RunOnce();
        l.lock();
      }
      cv_.wait_for(l, std::chrono::milliseconds(100), [&] { return stop_; });
    }
  });
}

void Controllers::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Controllers::RunOnce() {
  FinishNamespaces();
  CollectGarbage();
}

void Controllers::FinishNamespaces() {
  for (const auto& ns_obj : api_->store().List("namespaces", "", nullptr).items) {
    if (!ns_obj->contains("/metadata/deletionTimestamp"_json_pointer)) continue;
    std::string ns = (*ns_obj)["metadata"].value("name", "");
    auto remaining = api_->store().ResourcesInNamespace(ns);
    for (const auto& gr : remaining) {
      for (const auto& o : api_->store().List(gr, ns, nullptr).items) {
        if (o->contains("/metadata/deletionTimestamp"_json_pointer)) continue;
        api_->Delete(gr, ns, (*o)["metadata"].value("name", ""), {});
      }
    }
    if (!remaining.empty()) continue;
    json fin = *ns_obj;
    json kept = json::array();
    for (const auto& f : fin.value("spec", json::object()).value("finalizers", json::array())) {
      if (f != "kubernetes") kept.push_back(f);
    }
    fin["spec"]["finalizers"] = kept;
    api_->Update("namespaces", "", ns, fin, {}, "finalize");
  }
}

namespace {
struct Ref {
  std::string gr, ns, name;
  ObjectPtr obj;
};
}  // namespace

void Controllers::CollectGarbage() {
  std::map<std::string, std::vector<Ref>> dependents;  // owner uid -> dependents
  std::vector<Ref> deleting;
  for (const auto& r : api_->registry().All()) {
    if (!r->stored) continue;
    std::string gr = r->group_resource();
    for (const auto& o : api_->store().List(gr, "", nullptr).items) {
      const json& m = (*o)["metadata"];
      Ref ref{gr, m.value("namespace", ""), m.value("name", ""), o};
      if (m.contains("ownerReferences")) {
        for (const auto& owner : m["ownerReferences"]) dependents[owner.value("uid", "")].push_back(ref);
      }
      if (m.contains("deletionTimestamp") && m.contains("finalizers")) deleting.push_back(ref);
    }
  }
  // Dependents whose owners are all gone are deleted.
  for (const auto& [uid, deps] : dependents) {
    if (api_->store().GetByUid(uid)) continue;
    for (const auto& d : deps) {
      const json& m = (*d.obj)["metadata"];
      if (m.contains("deletionTimestamp")) continue;
      bool any_owner = false;
      for (const auto& owner : m["ownerReferences"]) {
        if (api_->store().GetByUid(owner.value("uid", ""))) any_owner = true;
      }
      if (!any_owner) api_->Delete(d.gr, d.ns, d.name, {});
    }
  }
  auto remove_finalizer = [&](const Ref& ref, const std::string& f) {
    json obj = *ref.obj;
    json kept = json::array();
    for (const auto& x : obj["metadata"]["finalizers"]) {
      if (x != f) kept.push_back(x);
    }
    obj["metadata"]["finalizers"] = kept;
    api_->Update(ref.gr, ref.ns, ref.name, obj);
  };
  for (const auto& owner : deleting) {
    const json& m = (*owner.obj)["metadata"];
    std::string uid = m.value("uid", "");
    const json& fins = m["finalizers"];
    auto has = [&](const char* f) { return std::find(fins.begin(), fins.end(), f) != fins.end(); };
    auto it = dependents.find(uid);
    const std::vector<Ref> none;
    const std::vector<Ref>& deps = it == dependents.end() ? none : it->second;
    if (has("orphan")) {
      for (const auto& d : deps) {
        json obj = *d.obj;
        json refs = json::array();
        for (const auto& o : obj["metadata"]["ownerReferences"]) {
          if (o.value("uid", "") != uid) refs.push_back(o);
        }
        if (refs.empty()) {
          obj["metadata"].erase("ownerReferences");
        } else {
          obj["metadata"]["ownerReferences"] = refs;
        }
        api_->Update(d.gr, d.ns, d.name, obj);
      }
      remove_finalizer(owner, "orphan");
    } else if (has("foregroundDeletion")) {
      bool waiting = false;
      for (const auto& d : deps) {
        waiting = true;
        if (!(*d.obj).contains("/metadata/deletionTimestamp"_json_pointer)) {
          DeleteOptions opts;
          opts.propagation_policy = "Foreground";
          api_->Delete(d.gr, d.ns, d.name, opts);
        }
      }
      if (!waiting) remove_finalizer(owner, "foregroundDeletion");
    }
  }
}

}  // namespace tusk::localkube
