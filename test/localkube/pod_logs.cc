#include "test/localkube/pod_logs.h"

#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <thread>

#include "common/base/files.h"
#include "test/localkube/apiserver/http_util.h"

namespace tusk::localkube {
namespace {

using nlohmann::json;

std::string Names(const json& containers) {
  std::string out;
  for (const auto& c : containers) out += (out.empty() ? "" : " ") + c.value("name", "");
  return "[" + out + "]";
}

// A pointer into `pod` (never into a copy of it).
const json* FindStatus(const json& pod, const std::string& container) {
  if (!pod.contains("status")) return nullptr;
  const json& status = pod["status"];
  for (const char* key : {"containerStatuses", "initContainerStatuses"}) {
    if (!status.contains(key) || !status[key].is_array()) continue;
    for (const auto& s : status[key]) {
      if (s.value("name", "") == container) return &s;
    }
  }
  return nullptr;
}

std::optional<int64_t> IntParam(const httplib::Request& req, const char* name) {
  std::string v = http::Param(req, name);
  if (v.empty()) return std::nullopt;
  return std::strtoll(v.c_str(), nullptr, 10);
}

// Follows one file: what was appended since the last call.
struct Follower {
  std::string path;
  off_t offset = 0;
  std::string Read() {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return "";
    std::string out;
    char buf[16384];
    ssize_t n;
    while ((n = pread(fd, buf, sizeof buf, offset)) > 0) {
      out.append(buf, static_cast<size_t>(n));
      offset += n;
      if (out.size() >= (1u << 20)) break;
    }
    close(fd);
    return out;
  }
};

}  // namespace

StatusOr<std::string> ChooseLogContainer(const json& pod, const std::string& requested) {
  const json& spec = pod.value("spec", json::object());
  const json containers = spec.value("containers", json::array());
  const json init = spec.value("initContainers", json::array());
  const std::string name = pod["metadata"].value("name", "");
  if (requested.empty()) {
    if (containers.size() == 1) return containers[0].value("name", "");
    std::string msg = "a container name must be specified for pod " + name + ", choose one of: " + Names(containers);
    if (!init.empty()) msg += " or one of the init containers: " + Names(init);
    return InvalidArgumentError(msg);
  }
  for (const auto* list : {&containers, &init}) {
    for (const auto& c : *list) {
      if (c.value("name", "") == requested) return requested;
    }
  }
  return InvalidArgumentError("container " + requested + " is not valid for pod " + name);
}

std::string_view TailLines(std::string_view text, int64_t n) {
  if (n < 0) return text;
  if (n == 0) return {};
  size_t end = text.size();
  if (end > 0 && text[end - 1] == '\n') --end;
  size_t pos = end;
  for (int64_t seen = 0; pos > 0; --pos) {
    if (text[pos - 1] == '\n' && ++seen == n) break;
  }
  return text.substr(pos);
}

bool ContainerRunActive(const json& pod, const std::string& container) {
  const json* s = FindStatus(pod, container);
  if (s == nullptr) return true;  // not reported yet: about to start
  const json& state = s->value("state", json::object());
  if (state.contains("running")) return true;
  return state.contains("waiting") && s->value("restartCount", 0) == 0 && !s->contains("lastState");
}

void ServePodLog(const PodLogSource& source, const json& pod, const httplib::Request& req, httplib::Response& res) {
  const std::string ns = pod["metadata"].value("namespace", "");
  const std::string name = pod["metadata"].value("name", "");
  auto container = ChooseLogContainer(pod, http::Param(req, "container"));
  if (!container.ok()) return http::WriteError(res, BadRequest(container.status().message()));
  const bool previous = http::Truthy(http::Param(req, "previous"));
  const bool follow = http::Truthy(http::Param(req, "follow")) && !previous;
  const int64_t tail = IntParam(req, "tailLines").value_or(-1);
  const int64_t limit = IntParam(req, "limitBytes").value_or(-1);

  if (pod.value("spec", json::object()).value("nodeName", "").empty()) {
    return http::WriteError(res, BadRequest("container \"" + *container + "\" in pod \"" + name +
                                                  "\" is waiting to start: the pod is not scheduled yet"));
  }
  auto path = source.log_path(ns, name, *container, previous);
  if (!path.ok()) {
    std::string msg(path.status().message());
    if (const json* s = FindStatus(pod, *container); s != nullptr && !previous) {
      const json& waiting = s->value("state", json::object()).value("waiting", json::object());
      if (!waiting.empty()) {
        msg = "container \"" + *container + "\" in pod \"" + name + "\" is waiting to start: " +
              waiting.value("reason", "ContainerCreating");
      }
    }
    return http::WriteError(res, BadRequest(msg));
  }
  std::string text = ReadFile(*path).value_or("");
  std::string head(TailLines(text, tail));
  if (limit >= 0 && static_cast<int64_t>(head.size()) > limit) head.resize(static_cast<size_t>(limit));
  if (!follow) {
    res.status = 200;
    res.set_content(head, "text/plain");
    return;
  }
  // cpp-httplib gzips text/* answers for clients that accept it, and its
  // compressor holds data back until it has a block: a followed log would
  // arrive only at its end. Streamed logs therefore go out uncompressed.
  // (The request object is httplib's own, mutable one.)
  const_cast<httplib::Request&>(req).headers.erase("Accept-Encoding");
  auto follower = std::make_shared<Follower>(Follower{*path, static_cast<off_t>(text.size())});
  auto pending = std::make_shared<std::string>(std::move(head));
  auto sent = std::make_shared<int64_t>(0);
  PodLogSource src = source;
  std::string c = *container;
  res.set_chunked_content_provider("text/plain", [src, ns, name, c, follower, pending, sent, limit](
                                                     size_t, httplib::DataSink& sink) {
    auto send = [&](const std::string& data) {
      std::string chunk = data;
      if (limit >= 0 && *sent + static_cast<int64_t>(chunk.size()) > limit) chunk.resize(static_cast<size_t>(limit - *sent));
      *sent += static_cast<int64_t>(chunk.size());
      return chunk.empty() || sink.write(chunk.data(), chunk.size());
    };
    if (!pending->empty()) {
      std::string first = std::move(*pending);
      pending->clear();
      return send(first);
    }
    auto run_over = [&] {
      auto now = src.get_pod(ns, name);
      auto current = src.log_path(ns, name, c, false);
      return !now.ok() || !ContainerRunActive(*now, c) || !current.ok() || *current != follower->path;
    };
    // Each call waits at most ~200 ms, so a client that hung up is noticed.
    // New output is looked for every 20 ms; whether the run is over (a
    // lookup of the pod) once the call has waited without any.
    bool finished = false;
    for (int i = 0; i < 10 && !finished; ++i) {
      if ((src.stopping && src.stopping->load()) || (limit >= 0 && *sent >= limit)) {
        finished = true;
      } else if (std::string more = follower->Read(); !more.empty()) {
        return send(more);
      } else if (i == 9 && run_over()) {
        send(follower->Read());  // the run's last words
        finished = true;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    if (finished) {
      sink.done();
      return true;
    }
    return sink.is_writable();
  });
}

}  // namespace tusk::localkube
