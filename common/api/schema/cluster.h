// The schema of postgresql.cnpg.io/v1 Cluster, field for field as
// CloudNativePG 1.30 defines it, in three files: the spec's top level and its
// smaller sections (cluster_spec.cc), PostgreSQL configuration, bootstrap and
// replica clusters (cluster_postgres.cc), and the status (cluster_status.cc).
#pragma once

#include "common/api/schema/node.h"

namespace tusk::api::schema {

Node ClusterSpec();
Node ClusterStatus();

// Sections used by more than one part of the spec.
Node StorageConfiguration();
Node PostgresConfiguration();
Node Bootstrap();
Node ReplicaCluster();
Node ExternalCluster();

}  // namespace tusk::api::schema
