#include "instance-manager/action_worker.h"

#include <sys/eventfd.h>
#include <unistd.h>

namespace tusk::instance {

ActionWorker::ActionWorker() : event_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  thread_ = std::thread([this] { Loop(); });
}

ActionWorker::~ActionWorker() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  if (event_fd_ >= 0) ::close(event_fd_);
}

Background ActionWorker::current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return kind_;
}

void ActionWorker::Start(Background kind, std::function<Status()> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    kind_ = kind;
    job_ = std::move(job);
    result_.reset();
  }
  cv_.notify_all();
}

std::optional<ActionWorker::Finished> ActionWorker::TakeFinished() {
  uint64_t v;
  ssize_t n = ::read(event_fd_, &v, sizeof(v));
  (void)n;
  std::lock_guard<std::mutex> lock(mu_);
  if (!result_) return std::nullopt;
  Finished f{kind_, *result_};
  result_.reset();
  kind_ = Background::kNone;
  return f;
}

void ActionWorker::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || job_; });
    if (!job_) return;  // stopping, nothing left to run
    auto job = std::move(job_);
    job_ = nullptr;
    lock.unlock();
    Status st = job();
    lock.lock();
    result_ = st;
    uint64_t one = 1;
    ssize_t n = ::write(event_fd_, &one, sizeof(one));
    (void)n;
    if (stopping_) return;
  }
}

}  // namespace tusk::instance
