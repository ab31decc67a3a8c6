#include "common/s3/transfer.h"

#include <algorithm>
#include <future>
#include <vector>

namespace tusk::s3 {

StreamingUpload::StreamingUpload(ObjectStore* store, std::string key, size_t part_size, int jobs)
    : store_(store), key_(std::move(key)), part_size_(std::max(part_size, kMinPartSize)), jobs_(std::max(jobs, 1)) {}

StreamingUpload::~StreamingUpload() {
  StopWorkers();
  if (upload_ && !finished_) upload_->Abort().IgnoreError();
}

void StreamingUpload::StopWorkers() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

Status StreamingUpload::FirstError() {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

void StreamingUpload::Worker() {
  while (true) {
    std::pair<int, std::string> part;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      part = std::move(queue_.front());
      queue_.pop_front();
      ++busy_;
    }
    Status s = FirstError().ok() ? upload_->UploadPart(part.first, part.second) : OkStatus();
    part.second.clear();
    {
      std::lock_guard<std::mutex> lock(mu_);
      --busy_;
      if (!s.ok() && error_.ok()) error_ = s;
      spare_.push_back(std::move(part.second));
    }
    cv_.notify_all();
  }
}

Status StreamingUpload::Submit(std::string part) {
  if (!upload_) {
    ASSIGN_OR_RETURN(upload_, store_->StartMultipart(key_));
    for (int i = 0; i < jobs_; ++i) workers_.emplace_back([this] { Worker(); });
  }
  std::unique_lock<std::mutex> lock(mu_);
  // Back-pressure: the producer waits while every worker has a part queued.
  cv_.wait(lock, [&] { return !error_.ok() || static_cast<int>(queue_.size()) < jobs_; });
  if (!error_.ok()) return error_;
  queue_.emplace_back(next_part_++, std::move(part));
  lock.unlock();
  cv_.notify_all();
  return OkStatus();
}

Status StreamingUpload::Write(std::string_view data) {
  bytes_ += data.size();
  while (!data.empty()) {
    size_t take = std::min(data.size(), part_size_ - buffer_.size());
    if (buffer_.capacity() < part_size_) {
      // A buffer a finished part left behind: its pages are already mapped.
      std::lock_guard<std::mutex> lock(mu_);
      if (!spare_.empty()) {
        buffer_.swap(spare_.back());
        spare_.pop_back();
      }
    }
    if (buffer_.capacity() < part_size_) buffer_.reserve(part_size_);
    buffer_.append(data.substr(0, take));
    data.remove_prefix(take);
    if (buffer_.size() == part_size_) {
      std::string part;
      part.swap(buffer_);
      RETURN_IF_ERROR(Submit(std::move(part)));
    }
  }
  return OkStatus();
}

Status StreamingUpload::Finish() {
  if (!upload_) {
    RETURN_IF_ERROR(store_->Put(key_, buffer_));
    finished_ = true;
    return OkStatus();
  }
  if (!buffer_.empty()) {
    std::string part;
    part.swap(buffer_);
    RETURN_IF_ERROR(Submit(std::move(part)));
  }
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return queue_.empty() && busy_ == 0; });
  }
  StopWorkers();
  RETURN_IF_ERROR(FirstError().WithContext("uploading " + key_));
  RETURN_IF_ERROR(upload_->Complete());
  finished_ = true;
  return OkStatus();
}

Status ParallelDownload(ObjectStore* store, const std::string& key, uint64_t size, size_t chunk, int jobs,
                        const BodySink& sink) {
  if (size == 0) return OkStatus();
  chunk = std::max<size_t>(chunk, 1 << 20);
  jobs = std::max(jobs, 1);
  const uint64_t count = (size + chunk - 1) / chunk;
  // One buffer per fetch in flight and one for the sink, reused range after
  // range: their pages are touched once, not once per range.
  std::vector<std::string> buffers(static_cast<size_t>(jobs) + 1);
  std::vector<std::string*> idle;
  for (auto& b : buffers) idle.push_back(&b);
  struct Fetch {
    std::future<Status> done;
    std::string* buffer;
  };
  std::deque<Fetch> inflight;
  uint64_t next = 0;
  auto launch = [&] {
    uint64_t offset = next * chunk;
    uint64_t len = std::min<uint64_t>(chunk, size - offset);
    std::string* buffer = idle.back();
    idle.pop_back();
    inflight.push_back({std::async(std::launch::async, [=] { return store->GetInto(key, offset, len, buffer); }), buffer});
    ++next;
  };
  while (next < count && static_cast<int>(inflight.size()) < jobs) launch();
  Status result;
  while (!inflight.empty()) {
    Fetch piece = std::move(inflight.front());
    inflight.pop_front();
    Status fetched = piece.done.get();
    if (result.ok() && !fetched.ok()) result = fetched;
    // The next range starts before the sink runs, so `jobs` fetches stay in
    // flight while it writes.
    if (result.ok() && next < count) launch();
    if (result.ok()) result = sink(*piece.buffer);
    idle.push_back(piece.buffer);
  }
  return result;
}

}  // namespace tusk::s3
