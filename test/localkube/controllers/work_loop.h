// Runs one Controller on its own thread: a pass whenever a watched resource
// changes (watch-driven, so a pod's readiness reaches Endpoints in
// milliseconds), when the controller asked to be requeued, and on a periodic
// resync. All timers are on the injected Clock so tests drive them.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/base/clock.h"
#include "test/localkube/apiserver/api.h"
#include "test/localkube/controllers/controller.h"

namespace tusk::localkube {

class WorkLoop {
 public:
  WorkLoop(Api* api, Clock& clock, Controller* controller, Duration resync = std::chrono::seconds(5));
  ~WorkLoop();
  WorkLoop(const WorkLoop&) = delete;
  WorkLoop& operator=(const WorkLoop&) = delete;

  void Start();
  void Stop();
  // Asks for a pass and waits until one that started after the call has
  // finished: how tests observe the effect of FakeClock::Advance.
  void Sync();

 private:
  // Shared with clock timers, which may fire after the loop is gone.
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    bool dirty = true;
    bool stop = false;
    uint64_t passes_started = 0;
    uint64_t passes_done = 0;
    void Poke();
  };
  void Run();
  void ArmTimer(Duration after);

  Api* api_;
  Clock& clock_;
  Controller* controller_;
  Duration resync_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
  std::vector<std::unique_ptr<WatchHandle>> watches_;
  std::thread thread_;
  TimerId timer_ = 0;
};

}  // namespace tusk::localkube
