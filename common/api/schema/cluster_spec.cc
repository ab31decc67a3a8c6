// Cluster.spec: the top level and the sections that are not about PostgreSQL
// itself (storage, scheduling, backup, monitoring, managed roles and
// services, probes, plugins).
#include "common/api/schema/cluster.h"
#include "common/api/schema/shared_types.h"
#include "common/api/schema/values.h"

namespace tusk::api::schema {

Node StorageConfiguration() {
  return Object({
      {"storageClass", Str().Doc("StorageClass of the PVCs; the cluster default when empty.")},
      {"size", Quantity().Doc("Size of each PVC (required unless pvcTemplate requests storage); it can grow, not shrink.")},
      {"resizeInUseVolumes", Bool().Default(true).Doc("Grow existing PVCs when size grows.")},
      {"pvcTemplate", Embedded("core/v1 PersistentVolumeClaimSpec")},
  });
}

namespace {

Node Affinity() {
  return Object({
      {"enablePodAntiAffinity", Bool().Doc("Keep instances apart; on unless false.")},
      {"topologyKey", Str().Doc("Node label that defines \"apart\"; kubernetes.io/hostname when empty.")},
      {"nodeSelector", StrMap()},
      {"nodeAffinity", Embedded("core/v1 NodeAffinity")},
      {"tolerations", EmbeddedList("core/v1 Toleration")},
      {"podAntiAffinityType", Str().Enum(kPodAntiAffinityTypes).Doc("preferred (default) or required.")},
      {"additionalPodAntiAffinity", Embedded("core/v1 PodAntiAffinity")},
      {"additionalPodAffinity", Embedded("core/v1 PodAffinity")},
  });
}

Node VolumeSnapshot() {
  return Object({
      {"labels", StrMap()},
      {"annotations", StrMap()},
      {"className", Str().Doc("VolumeSnapshotClass for the data PVC, and for the others when theirs is empty.")},
      {"walClassName", Str()},
      {"tablespaceClassName", StrMap()},
      {"snapshotOwnerReference", Str().Enum(kSnapshotOwnerReferences).Default("none")},
      {"online", Bool().Default(true).Doc("Hot (true) or cold (false) snapshots.")},
      {"onlineConfiguration", OnlineConfiguration().Default({{"waitForArchive", true}, {"immediateCheckpoint", false}})},
  });
}

Node BackupConfiguration() {
  return Object({
      {"volumeSnapshot", VolumeSnapshot()},
      {"barmanObjectStore", BarmanObjectStore()},
      {"retentionPolicy", Str().Pattern(kRetentionPolicyPattern).Doc("How long backups and WAL are kept: 30d, 4w, 6m.")},
      {"target", BackupTarget().Default("prefer-standby")},
  });
}

Node Monitoring() {
  return Object({
      {"disableDefaultQueries", Bool().Default(false)},
      {"customQueriesConfigMap", List(KeyRef())},
      {"customQueriesSecret", List(KeyRef())},
      {"enablePodMonitor", Bool().Default(false)},
      // Prometheus operator RelabelConfig: not a type this API defines.
      {"podMonitorMetricRelabelings", EmbeddedList("monitoring.coreos.com/v1 RelabelConfig")},
      {"podMonitorRelabelings", EmbeddedList("monitoring.coreos.com/v1 RelabelConfig")},
      {"tls", Object({{"enabled", Bool().Default(false)}})},
      {"metricsQueriesTTL", Duration().Doc("How long query results are cached; 30s when empty.")},
  });
}

Node RoleConfiguration() {
  return Object({
      {"name", Str().Required()},
      {"comment", Str()},
      {"ensure", Str().Enum(kEnsureOptions).Default("present")},
      {"passwordSecret", LocalRef().Doc("basic-auth Secret with the role's password.")},
      {"connectionLimit", Int64().Default(-1)},
      {"validUntil", Time()},
      {"inRoles", StrList()},
      {"inherit", Bool().Default(true)},
      {"disablePassword", Bool()},
      {"superuser", Bool()},
      {"createdb", Bool()},
      {"createrole", Bool()},
      {"login", Bool()},
      {"replication", Bool()},
      {"bypassrls", Bool()},
  });
}

Node Managed() {
  return Object({
      {"roles", List(RoleConfiguration())},
      {"services",
       Object({
           {"disabledDefaultServices", List(Str().Enum(kServiceSelectorTypes))},
           {"additional", List(Object({
                              {"selectorType", Str().Required().Enum(kServiceSelectorTypes)},
                              {"updateStrategy", Str().Enum(kServiceUpdateStrategies).Default("patch")},
                              {"serviceTemplate", ServiceTemplate().Required()},
                          }))},
       })},
  });
}

std::vector<Field> ProbeFields() {
  return {
      {"initialDelaySeconds", Int32()},
      {"timeoutSeconds", Int32()},
      {"periodSeconds", Int32()},
      {"successThreshold", Int32()},
      {"failureThreshold", Int32()},
      {"terminationGracePeriodSeconds", Int64()},
  };
}

Node ProbeWithStrategy() {
  std::vector<Field> fields = ProbeFields();
  fields.push_back({"type", Str().Enum(kProbeTypes).Doc("pg_isready (default), streaming or query.")});
  fields.push_back({"maximumLag", Quantity().Doc("Replication lag a streaming probe still calls ready.")});
  return Object(std::move(fields));
}

Node LivenessProbe() {
  std::vector<Field> fields = ProbeFields();
  fields.push_back({"isolationCheck", Object({
                                          {"enabled", Bool().Default(true)},
                                          {"requestTimeout", Int().Default(1000).Doc("Milliseconds.")},
                                          {"connectionTimeout", Int().Default(1000).Doc("Milliseconds.")},
                                      })
                                          .Doc("A primary cut off from the API server and its replicas fails liveness.")});
  return Object(std::move(fields));
}

Node Probes() {
  return Object({
      {"startup", ProbeWithStrategy()},
      {"liveness", LivenessProbe()},
      {"readiness", ProbeWithStrategy()},
  });
}

Node Tablespace() {
  return Object({
      {"name", Str().Required()},
      {"storage", StorageConfiguration().Required()},
      {"owner", Object({{"name", Str()}})},
      {"temporary", Bool().Default(false).Doc("List it in temp_tablespaces.")},
  });
}

Node PrimaryLease() {
  return Object({
      {"leaseDurationSeconds", Int().Min(kMinLeaseSeconds).Default(15)},
      {"renewDeadlineSeconds", Int().Min(kMinLeaseSeconds).Default(10)},
      {"retryPeriodSeconds", Int().Min(kMinLeaseSeconds).Default(2)},
      {"releasedLeaseDurationSeconds", Int().Min(kMinLeaseSeconds).Default(1)},
  });
}

Node PodSelectorRef() {
  return Object({
      {"name", Str().Required().Pattern(kPodSelectorNamePattern).Doc("Used in pg_hba as ${podselector:NAME}.")},
      {"selector", Embedded("meta/v1 LabelSelector")},
  });
}

Node ImageCatalogRef() {
  return Object({
             {"apiGroup", Str()},
             {"kind", Str().Required()},
             {"name", Str().Required()},
             {"major", Int().Required().Doc("PostgreSQL major version to take from the catalog.")},
         })
      .Rule("self.kind == 'ImageCatalog' || self.kind == 'ClusterImageCatalog'", "Only image catalogs are supported")
      .Rule("self.apiGroup == 'postgresql.cnpg.io'", "Only image catalogs are supported");
}

Node Certificates() {
  return Object({
      {"serverCASecret", Str().Doc("Secret with the CA (ca.crt, ca.key) that signs the server certificate.")},
      {"serverTLSSecret", Str().Doc("kubernetes.io/tls Secret with the server certificate.")},
      {"replicationTLSSecret", Str().Doc("kubernetes.io/tls Secret with the streaming_replica client certificate.")},
      {"clientCASecret", Str().Doc("Secret with the CA (ca.crt, ca.key) that signs client certificates.")},
      {"serverAltDNSNames", StrList()},
  });
}

// Fields of the spec not about PostgreSQL's own configuration, in
// CloudNativePG's order.
std::vector<Field> ClusterFields() {
  return {
      {"description", Str()},
      {"inheritedMetadata", Object({{"labels", StrMap()}, {"annotations", StrMap()}})
                                .Doc("Labels and annotations copied onto every object the operator creates.")},
      {"imageName", Str().Doc("PostgreSQL image; a tag must name the version, not latest.")},
      {"imageCatalogRef", ImageCatalogRef()},
      {"imagePullPolicy", Str().Enum(kImagePullPolicies)},
      {"schedulerName", Str()},
      {"postgresUID", Int64().Default(26)},
      {"postgresGID", Int64().Default(26)},
      {"instances", Int().Required().Min(kMinInstances).Default(1).Doc("Number of PostgreSQL instances.")},
      {"minSyncReplicas", Int().Min(kMinSyncReplicas).Default(0)},
      {"maxSyncReplicas", Int().Min(kMinSyncReplicas).Default(0)},
      {"postgresql", PostgresConfiguration()},
      {"podSelectorRefs", ListMap(PodSelectorRef(), {"name"})},
      {"replicationSlots",
       Object({
           {"highAvailability",
            Object({
                {"enabled", Bool().Default(true)},
                {"slotPrefix", Str().Pattern(kSlotPrefixPattern).Default("_cnpg_")},
                {"synchronizeLogicalDecoding", Bool()},
            })
                .Default({{"enabled", true}})},
           {"updateInterval", Int().Min(kMinUpdateInterval).Default(30).Doc("Seconds between slot updates on standbys.")},
           {"synchronizeReplicas", Object({
                                       {"enabled", Bool().Required().Default(true)},
                                       {"excludePatterns", StrList()},
                                   })},
       })
           .Default({{"highAvailability", {{"enabled", true}}}})},
      {"bootstrap", Bootstrap()},
      {"replica", ReplicaCluster()},
      {"superuserSecret", LocalRef()},
      {"enableSuperuserAccess", Bool().Default(false)},
      {"certificates", Certificates()},
      {"imagePullSecrets", List(LocalRef())},
      {"storage", StorageConfiguration()},
      {"serviceAccountTemplate", Object({{"metadata", Metadata().Required()}})},
      {"serviceAccountName", Str()
                                 .Pattern(kDnsLabelPattern)
                                 .MaxLength(253)
                                 .Rule("self == oldSelf", "serviceAccountName is immutable")},
      {"walStorage", StorageConfiguration()},
      {"ephemeralVolumeSource", Embedded("core/v1 EphemeralVolumeSource")},
      {"startDelay", Int32().Default(3600).Doc("Seconds an instance may take to start.")},
      {"stopDelay", Int32().Default(1800).Doc("Seconds an instance may take to stop.")},
      {"smartShutdownTimeout", Int32().Default(180).Doc("Seconds of smart shutdown before a fast one.")},
      {"switchoverDelay", Int32().Default(3600).Doc("Seconds the old primary may take to stop in a switchover.")},
      {"failoverDelay", Int32().Default(0).Doc("Seconds to wait before failing over an unhealthy primary.")},
      {"livenessProbeTimeout", Int32()},
      {"affinity", Affinity()},
      {"topologySpreadConstraints", EmbeddedList("core/v1 TopologySpreadConstraint")},
      {"resources", Embedded("core/v1 ResourceRequirements")},
      {"ephemeralVolumesSizeLimit", Object({{"shm", Quantity()}, {"temporaryData", Quantity()}})},
      {"priorityClassName", Str()},
      {"primaryUpdateStrategy", Str().Enum(kPrimaryUpdateStrategies).Default("unsupervised")},
      {"primaryUpdateMethod", Str().Enum(kPrimaryUpdateMethods).Default("restart")},
      {"backup", BackupConfiguration()},
      {"nodeMaintenanceWindow", Object({
                                    {"inProgress", Bool().Default(false)},
                                    {"reusePVC", Bool().Default(true)},
                                })},
      {"monitoring", Monitoring()},
      {"externalClusters", List(ExternalCluster())},
      {"logLevel", Str().Enum(kLogLevels).Default("info")},
      {"projectedVolumeTemplate", Embedded("core/v1 ProjectedVolumeSource")},
      {"env", EmbeddedList("core/v1 EnvVar")},
      {"envFrom", EmbeddedList("core/v1 EnvFromSource")},
      {"managed", Managed()},
      {"seccompProfile", Embedded("core/v1 SeccompProfile")},
      {"podSecurityContext", Embedded("core/v1 PodSecurityContext")},
      {"securityContext", Embedded("core/v1 SecurityContext")},
      {"tablespaces", List(Tablespace())},
      {"enablePDB", Bool().Default(true)},
      {"plugins", List(PluginConfiguration())},
      {"probes", Probes()},
      {"primaryLease", PrimaryLease()},
  };
}

}  // namespace

Node ClusterSpec() {
  return Object(ClusterFields())
      .Rule("!(has(self.imageCatalogRef) && has(self.imageName))", "imageName and imageCatalogRef are mutually exclusive");
}

}  // namespace tusk::api::schema
