// The object-store seam the backup engine talks to: one bucket, keys below it.
// S3 implements it today (s3_client.h); Azure Blob and GCS can follow behind
// the same interface, and tests can substitute an in-memory store.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/status.h"

namespace tusk::s3 {

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  std::string etag;           // as the server quotes it
  std::string last_modified;  // ISO-8601 from listings; RFC 1123 from HEAD
};

struct Listing {
  std::vector<ObjectInfo> objects;
  std::vector<std::string> common_prefixes;
};

// Receives a body piece by piece; an error stops the transfer.
using BodySink = std::function<Status(std::string_view chunk)>;

// A multipart upload in progress. Parts may be uploaded from several threads.
class MultipartUpload {
 public:
  virtual ~MultipartUpload() = default;
  // Part numbers start at 1; every part but the last must be >= 5 MiB.
  virtual Status UploadPart(int part_number, std::string_view body) = 0;
  virtual Status Complete() = 0;
  virtual Status Abort() = 0;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // A printable "s3://bucket" style name for messages.
  virtual std::string Describe() const = 0;

  virtual Status Put(const std::string& key, std::string_view body) = 0;
  // The whole object, or `length` bytes from `offset` when length > 0.
  virtual StatusOr<std::string> Get(const std::string& key, uint64_t offset = 0, uint64_t length = 0) = 0;
  // `length` bytes from `offset` into `*into`, replacing what it held but
  // keeping its capacity: a caller that reuses the string reuses the memory.
  virtual Status GetInto(const std::string& key, uint64_t offset, uint64_t length, std::string* into) = 0;
  // NotFound when the key does not exist.
  virtual StatusOr<ObjectInfo> Head(const std::string& key) = 0;
  // Deleting a missing key succeeds (S3 semantics).
  virtual Status Delete(const std::string& key) = 0;
  // Every page of ListObjectsV2 for `prefix`; with a delimiter, the
  // "directories" come back in common_prefixes.
  virtual StatusOr<Listing> List(const std::string& prefix, const std::string& delimiter = "") = 0;
  virtual StatusOr<std::unique_ptr<MultipartUpload>> StartMultipart(const std::string& key) = 0;
  // OK when the bucket exists and the credentials may use it.
  virtual Status CheckBucket() = 0;
};

}  // namespace tusk::s3
