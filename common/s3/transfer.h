// Large transfers without staging on disk: a streaming multipart upload that
// keeps `jobs` parts in flight while the producer keeps writing, and a ranged
// download that fetches `jobs` ranges at once and hands them over in order.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/s3/object_store.h"

namespace tusk::s3 {

constexpr size_t kMinPartSize = 5u << 20;

class StreamingUpload {
 public:
  // Memory use is about (jobs + 1) * part_size.
  StreamingUpload(ObjectStore* store, std::string key, size_t part_size, int jobs);
  ~StreamingUpload();  // aborts an unfinished upload
  StreamingUpload(const StreamingUpload&) = delete;
  StreamingUpload& operator=(const StreamingUpload&) = delete;

  Status Write(std::string_view data);
  // Uploads what is left and completes; a body smaller than one part goes as
  // a single PUT. Nothing is visible under `key` before this returns OK.
  Status Finish();
  uint64_t bytes() const { return bytes_; }

 private:
  Status Submit(std::string part);
  void Worker();
  Status FirstError();
  void StopWorkers();

  ObjectStore* store_;
  std::string key_;
  size_t part_size_;
  int jobs_;
  std::string buffer_;
  uint64_t bytes_ = 0;
  int next_part_ = 1;
  std::unique_ptr<MultipartUpload> upload_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<int, std::string>> queue_;
  std::vector<std::string> spare_;  // emptied part buffers, reused by Write
  int busy_ = 0;
  bool stopping_ = false;
  Status error_;
  std::vector<std::thread> workers_;
  bool finished_ = false;
};

// Fetches `size` bytes of `key` in `chunk`-sized ranges, `jobs` at a time,
// and passes them to `sink` in order.
Status ParallelDownload(ObjectStore* store, const std::string& key, uint64_t size, size_t chunk, int jobs,
                        const BodySink& sink);

}  // namespace tusk::s3
