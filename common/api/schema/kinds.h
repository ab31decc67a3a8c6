// Spec and status schemas of the kinds other than Cluster: Pooler, Backup,
// ScheduledBackup, the image catalogs, Database, Publication, Subscription,
// FailoverQuorum (postgresql.cnpg.io) and ObjectStore (barmancloud.cnpg.io).
#pragma once

#include "common/api/schema/node.h"

namespace tusk::api::schema {

Node PoolerSpec();
Node PoolerStatus();
Node BackupSpec();
Node BackupStatus();
Node ScheduledBackupSpec();
Node ScheduledBackupStatus();
Node ImageCatalogSpec();  // ImageCatalog and ClusterImageCatalog
Node DatabaseSpec();
Node DatabaseStatus();
Node PublicationSpec();
Node SubscriptionSpec();
Node ReconcileStatus();  // Publication and Subscription
Node FailoverQuorumStatus();
Node ObjectStoreSpec();
Node ObjectStoreStatus();

}  // namespace tusk::api::schema
