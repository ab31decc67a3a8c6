// What the built-in kinds add to a generic write: defaults filled in on
// create (Service cluster IPs, Pod phase, Secret stringData...), the
// per-kind validation kube-apiserver does, and a CRD's status.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test/localkube/apiserver/errors.h"
#include "test/localkube/apiserver/registry.h"
#include "test/localkube/apiserver/store.h"

namespace tusk::localkube {

// Defaults for a new object of `r` (metadata is already filled in).
void DefaultOnCreate(const ResourceInfo& r, json& obj, std::atomic<uint32_t>* next_cluster_ip);
// kube-apiserver's DefaultStorageClass admission: a new PVC without
// spec.storageClassName gets the default StorageClass. Reads the store, so
// call it before the write takes the store's lock.
void DefaultStorageClass(const ResourceInfo& r, json& obj, const Store& store);
// Defaults every write gets (create and update).
void DefaultOnWrite(const ResourceInfo& r, json& obj);
// Kind-specific validation errors for the object about to be stored.
std::vector<FieldError> ValidateKind(const ResourceInfo& r, const json& obj);
// The status kube-apiserver's CRD controllers give an accepted CRD.
json CrdStatus(const json& crd);
// True for kinds that track metadata.generation.
bool TracksGeneration(const ResourceInfo& r);
// True when kube-apiserver answers DELETE with the object rather than a Status.
bool ReturnsDeletedObject(const ResourceInfo& r);

}  // namespace tusk::localkube
