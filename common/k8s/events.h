// Kubernetes Events about our objects (core/v1), aggregated the way client-go
// does it: a repeat of the same event bumps `count` and `lastTimestamp` on the
// existing Event instead of creating a new one, and after ten different
// messages with the same reason within ten minutes the messages are combined,
// so a flapping condition cannot flood the API server.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "common/base/clock.h"
#include "common/k8s/kube_client.h"

namespace tusk::k8s {

inline constexpr char kEventNormal[] = "Normal";
inline constexpr char kEventWarning[] = "Warning";

class EventRecorder {
 public:
  EventRecorder(KubeClient& client, Clock& clock, std::string component, std::string host = "");

  // `object` is the involved object as read from the API (apiVersion, kind,
  // metadata.name/namespace/uid/resourceVersion are used).
  Status Record(const Json& object, const std::string& type, const std::string& reason,
                const std::string& message);

 private:
  struct Seen {
    std::string event_name;
    std::string event_namespace;
    int64_t count = 0;
    std::string first_timestamp;
    MonoTime last_seen;
  };
  struct Similar {
    std::map<std::string, MonoTime> messages;
  };

  KubeClient& client_;
  Clock& clock_;
  const std::string component_;
  const std::string host_;
  std::mutex mu_;
  std::map<std::string, Seen> seen_;        // exact event key -> Event written
  std::map<std::string, Similar> similar_;  // object+type+reason -> recent messages
};

}  // namespace tusk::k8s
