#include "test/localkube/controllers/work_loop.h"

#include <algorithm>
#include <cstdio>

namespace tusk::localkube {

void WorkLoop::State::Poke() {
  {
    std::lock_guard<std::mutex> l(mu);
    dirty = true;
  }
  cv.notify_all();
}

WorkLoop::WorkLoop(Api* api, Clock& clock, Controller* controller, Duration resync)
    : api_(api), clock_(clock), controller_(controller), resync_(resync) {}

WorkLoop::~WorkLoop() { Stop(); }

void WorkLoop::Start() {
  // Watch from the current resourceVersion: the first pass sees the state
  // as it is, so the initial ADDED flood would only repeat it.
  ListOptions opts;
  opts.resource_version = std::to_string(api_->store().current_rv());
  for (const auto& gr : controller_->watches()) {
    std::weak_ptr<State> weak = state_;
    auto handle = api_->WatchWithCallback(gr, "", opts, [weak](EventType, const json&) {
      if (auto s = weak.lock()) s->Poke();
    });
    if (handle.ok()) watches_.push_back(std::move(*handle));
  }
  thread_ = std::thread([this] { Run(); });
}

void WorkLoop::Stop() {
  {
    std::lock_guard<std::mutex> l(state_->mu);
    state_->stop = true;
  }
  state_->cv.notify_all();
  if (thread_.joinable()) thread_.join();
  watches_.clear();
  if (timer_) clock_.CancelTimer(timer_);
  timer_ = 0;
}

void WorkLoop::Sync() {
  std::unique_lock<std::mutex> l(state_->mu);
  if (state_->stop || !thread_.joinable()) return;
  state_->dirty = true;
  uint64_t target = state_->passes_started + 1;
  state_->cv.notify_all();
  state_->cv.wait(l, [&] { return state_->stop || state_->passes_done >= target; });
}

void WorkLoop::ArmTimer(Duration after) {
  if (timer_) clock_.CancelTimer(timer_);
  std::weak_ptr<State> weak = state_;
  timer_ = clock_.AddTimerAfter(after, [weak] {
    if (auto s = weak.lock()) s->Poke();
  });
}

void WorkLoop::Run() {
  std::unique_lock<std::mutex> l(state_->mu);
  while (true) {
    state_->cv.wait(l, [&] { return state_->stop || state_->dirty; });
    if (state_->stop) return;
    state_->dirty = false;
    ++state_->passes_started;
    l.unlock();
    std::optional<Duration> again;
    try {
      again = controller_->Reconcile();
    } catch (const std::exception& e) {
      // A malformed object must not take localkube down: report, retry later.
      std::fprintf(stderr, "localkube controller %s: %s\n", controller_->name().c_str(), e.what());
      again = std::chrono::seconds(1);
    }
    ArmTimer(again ? std::min(*again, resync_) : resync_);
    l.lock();
    ++state_->passes_done;
    state_->cv.notify_all();
  }
}

}  // namespace tusk::localkube
