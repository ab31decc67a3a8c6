// The controllers kube-controller-manager would run that API semantics
// depend on: the garbage collector (ownerReferences with background,
// foreground and orphan propagation) and the namespace controller (empties
// a Terminating namespace, then finalizes it). They work through the
// in-process Api, reacting whenever the global resourceVersion moves.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "test/localkube/apiserver/api.h"

namespace tusk::localkube {

class Controllers {
 public:
  explicit Controllers(Api* api) : api_(api) {}
  ~Controllers() { Stop(); }
  void Start();
  void Stop();
  // One reconciliation pass over every object (what the thread runs).
  void RunOnce();

 private:
  void FinishNamespaces();
  void CollectGarbage();

  Api* api_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
};

}  // namespace tusk::localkube
