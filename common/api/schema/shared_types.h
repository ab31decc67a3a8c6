// Schema pieces several CloudNativePG kinds share: object references, the
// barman object store configuration, plugin references, extension images,
// metadata and Service/Pod templates.
#pragma once

#include "common/api/schema/node.h"

namespace tusk::api::schema {

// {name}: CloudNativePG's LocalObjectReference (name required).
Node LocalRef();
// {name}: Kubernetes' core LocalObjectReference (name optional).
Node CoreLocalRef();
// {name, key}: CloudNativePG's Secret/ConfigMap key selectors.
Node KeyRef();
// {name, key, optional}: Kubernetes' core SecretKeySelector.
Node CoreSecretKeyRef();
// {apiGroup, kind, name}: Kubernetes' TypedLocalObjectReference.
Node TypedLocalRef();
// {name, labels, annotations}
Node Metadata();
Node ServiceTemplate();
Node PodTemplate();
// s3Credentials, azureCredentials, googleCredentials: inlined in the store
// and in a Backup's status.
std::vector<Field> CredentialFields();
// barmanObjectStore: also the ObjectStore kind's spec.configuration.
Node BarmanObjectStore();
// {name, enabled, isWALArchiver, parameters}
Node PluginConfiguration();
// {name, parameters}: the plugin a Backup or ScheduledBackup is taken with.
Node BackupPluginConfiguration();
// {waitForArchive, immediateCheckpoint}
Node OnlineConfiguration();
// A PostgreSQL extension shipped as an image (Cluster and ImageCatalog).
Node ExtensionImage();
// The CEL rules tying icuLocale, icuRules and builtinLocale to their
// localeProvider, on initdb and on Database.
Node WithLocaleRules(Node object);
// metav1.Condition
Node Condition();
// Backup.spec.target, ScheduledBackup.spec.target, Cluster.spec.backup.target
Node BackupTarget();
Node BackupMethod();

}  // namespace tusk::api::schema
