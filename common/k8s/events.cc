#include "common/k8s/events.h"

#include <cstdio>
#include <ctime>

namespace tusk::k8s {
namespace {

constexpr auto kAggregationWindow = std::chrono::minutes(10);
constexpr size_t kMaxSimilarMessages = 10;


}  // namespace

EventRecorder::EventRecorder(KubeClient& client, Clock& clock, std::string component, std::string host)
    : client_(client), clock_(clock), component_(std::move(component)), host_(std::move(host)) {}

Status EventRecorder::Record(const Json& object, const std::string& type, const std::string& reason,
                             const std::string& message) {
  const Json meta = object.value("metadata", Json::object());
  const std::string ns = meta.value("namespace", "default");
  const std::string name = meta.value("name", "");
  const std::string object_id = object.value("kind", "") + "/" + ns + "/" + name + "/" + meta.value("uid", "");
  const MonoTime now = clock_.Now();
  const std::string now_str = FormatRfc3339(clock_.WallNow());

  std::unique_lock<std::mutex> lock(mu_);
  // Too many distinct messages for one reason: fold them into one event.
  std::string text = message;
  Similar& similar = similar_[object_id + "|" + type + "|" + reason];
  for (auto it = similar.messages.begin(); it != similar.messages.end();) {
    it = now - it->second > kAggregationWindow ? similar.messages.erase(it) : std::next(it);
  }
  similar.messages[message] = now;
  if (similar.messages.size() > kMaxSimilarMessages) {
    text = "(combined from similar events): " + message;
  }
  const std::string key = object_id + "|" + type + "|" + reason + "|" +
                          (similar.messages.size() > kMaxSimilarMessages ? std::string("*") : message);

  auto it = seen_.find(key);
  if (it != seen_.end() && now - it->second.last_seen <= kAggregationWindow) {
    Seen& s = it->second;
    s.count++;
    s.last_seen = now;
    Json patch = {{"count", s.count}, {"lastTimestamp", now_str}, {"message", text}};
    const std::string event_name = s.event_name, event_ns = s.event_namespace;
    lock.unlock();
    auto patched = client_.Patch(EventsResource().InNamespace(event_ns).Named(event_name), PatchType::kMerge,
                                 patch.dump());
    if (patched.ok() || patched.status().code() != StatusCode::kNotFound) return patched.status();
    lock.lock();
    seen_.erase(key);  // the Event expired on the server: write a new one
  }

  char suffix[24];
  std::snprintf(suffix, sizeof suffix, "%llx",
                static_cast<unsigned long long>(
                    std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.WallNow().time_since_epoch()).count()));
  const std::string event_name = name + "." + suffix + "." + std::to_string(seen_.size());
  Json involved = {{"kind", object.value("kind", "")},
                   {"namespace", ns},
                   {"name", name},
                   {"uid", meta.value("uid", "")},
                   {"apiVersion", object.value("apiVersion", "")},
                   {"resourceVersion", meta.value("resourceVersion", "")}};
  Json event = {{"apiVersion", "v1"},
                {"kind", "Event"},
                {"metadata", {{"name", event_name}, {"namespace", ns}}},
                {"involvedObject", involved},
                {"reason", reason},
                {"message", text},
                {"type", type},
                {"count", 1},
                {"firstTimestamp", now_str},
                {"lastTimestamp", now_str},
                {"source", {{"component", component_}, {"host", host_}}},
                {"reportingComponent", component_},
                {"reportingInstance", host_}};
  seen_[key] = Seen{event_name, ns, 1, now_str, now};
  lock.unlock();
  return client_.Create(EventsResource().InNamespace(ns), event).status();
}

}  // namespace tusk::k8s
