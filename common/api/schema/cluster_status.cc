// Cluster.status: what the operator and the instance managers report. Every
// field the operator writes must be listed here, or kube-apiserver drops it.
#include "common/api/schema/cluster.h"
#include "common/api/schema/shared_types.h"

namespace tusk::api::schema {

namespace {

Node ImageInfo() {
  return Object({
      {"image", Str().Required()},
      {"majorVersion", Int().Required()},
      {"extensions", List(ExtensionImage())},
  });
}

Node SecretsResourceVersion() {
  return Object({
      {"superuserSecretVersion", Str()},
      {"replicationSecretVersion", Str()},
      {"applicationSecretVersion", Str()},
      {"managedRoleSecretVersion", StrMap()},
      {"caSecretVersion", Str()},
      {"clientCaSecretVersion", Str()},
      {"serverCaSecretVersion", Str()},
      {"serverSecretVersion", Str()},
      {"barmanEndpointCA", Str()},
      {"externalClusterSecretVersion", StrMap()},
      {"metrics", StrMap()},
  });
}

Node CertificatesStatus() {
  return Object({
      {"serverCASecret", Str()},
      {"serverTLSSecret", Str()},
      {"replicationTLSSecret", Str()},
      {"clientCASecret", Str()},
      {"serverAltDNSNames", StrList()},
      {"expirations", StrMap()},
  });
}

Node PluginStatus() {
  return Object({
      {"name", Str().Required()},
      {"version", Str().Required()},
      {"capabilities", StrList()},
      {"operatorCapabilities", StrList()},
      {"walCapabilities", StrList()},
      {"backupCapabilities", StrList()},
      {"restoreJobHookCapabilities", StrList()},
      {"status", Str()},
  });
}

}  // namespace

Node ClusterStatus() {
  return Object({
      {"instances", Int().Doc("Instances with PVCs (not pods).")},
      {"readyInstances", Int()},
      {"selector", Str().Doc("Label selector of the instance pods, for the scale subresource.")},
      {"instancesStatus", MapOf(StrList()).Doc("Pod names by state: healthy, replicating, failed.")},
      {"instancesReportedState", MapOf(Object({
                                     {"isPrimary", Bool().Required()},
                                     {"timeLineID", Int()},
                                     {"ip", Str()},
                                 }))},
      {"managedRolesStatus", Object({
                                 {"byStatus", MapOf(StrList())},
                                 {"cannotReconcile", MapOf(StrList())},
                                 {"passwordStatus", MapOf(Object({
                                                        {"transactionID", Int64()},
                                                        {"resourceVersion", Str()},
                                                    }))},
                             })},
      {"tablespacesStatus", List(Object({
                                {"name", Str().Required()},
                                {"owner", Str()},
                                {"state", Str().Required()},
                                {"error", Str()},
                            }))},
      {"timelineID", Int()},
      {"topology", Object({
                       {"instances", MapOf(StrMap())},
                       {"nodesUsed", Int32()},
                       {"successfullyExtracted", Bool()},
                   })},
      {"latestGeneratedNode", Int()},
      {"currentPrimary", Str()},
      {"targetPrimary", Str()},
      {"lastPromotionToken", Str()},
      {"pvcCount", Int32()},
      {"jobCount", Int32()},
      {"danglingPVC", StrList()},
      {"resizingPVC", StrList()},
      {"initializingPVC", StrList()},
      {"healthyPVC", StrList()},
      {"unusablePVC", StrList()},
      {"writeService", Str()},
      {"readService", Str()},
      {"phase", Str()},
      {"phaseReason", Str()},
      {"secretsResourceVersion", SecretsResourceVersion()},
      {"configMapResourceVersion", Object({{"metrics", StrMap()}})},
      {"certificates", CertificatesStatus()},
      {"firstRecoverabilityPoint", Str()},
      {"firstRecoverabilityPointByMethod", MapOf(Time())},
      {"lastSuccessfulBackup", Str()},
      {"lastSuccessfulBackupByMethod", MapOf(Time())},
      {"lastFailedBackup", Str()},
      {"cloudNativePGCommitHash", Str()},
      {"cloudNativePGOperatorHash", Str()},
      {"currentPrimaryTimestamp", Str()},
      {"currentPrimaryFailingSinceTimestamp", Str()},
      {"targetPrimaryTimestamp", Str()},
      {"poolerIntegrations", Object({{"pgBouncerIntegration", Object({{"secrets", StrList()}})}})},
      {"operatorCertificateFingerprint", Str()},
      {"availableArchitectures", List(Object({{"goArch", Str().Required()}, {"hash", Str().Required()}}))},
      {"conditions", List(Condition())},
      {"instanceNames", StrList()},
      {"onlineUpdateEnabled", Bool()},
      {"image", Str()},
      {"pgDataImageInfo", ImageInfo()},
      {"targetPgDataImageInfo", ImageInfo()},
      {"pluginStatus", List(PluginStatus())},
      {"switchReplicaClusterStatus", Object({{"inProgress", Bool()}})},
      {"demotionToken", Str()},
      {"systemID", Str()},
  });
}

}  // namespace tusk::api::schema
