#include <cctype>

#include "operator/specs/metadata.h"

namespace tusk::op::specs {
namespace {

// RFC 3986: unreserved characters stay, everything else is %XX, so a
// password or user name can never end the userinfo or the query early.
// '*' stays too: it is the superuser Secret's "any database".
std::string PercentEncode(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '*') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0f];
    }
  }
  return out;
}

// A .pgpass field: libpq reads ':' and '\' literally only when escaped.
std::string PgpassField(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == ':' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

Json Secret(const api::Cluster& cluster, const std::string& name, const char* type, Json string_data,
            const OperatorSettings& settings) {
  Json meta = internal::ObjectMetadata(cluster, name, settings);
  // Instances watch Secrets with this label and reload what changed.
  meta["labels"][kReloadLabel] = "true";
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", std::move(meta)},
          {"type", type},
          {"stringData", std::move(string_data)}};
}

}  // namespace

Json CredentialsSecret(const api::Cluster& cluster, CredentialsKind kind, const std::string& password,
                       const OperatorSettings& settings) {
  const bool app = kind == CredentialsKind::kApp;
  const std::string user = app ? cluster.spec.initdb_owner.value_or("app") : "postgres";
  const std::string dbname = app ? cluster.spec.initdb_database.value_or("app") : "*";
  const std::string host = RwServiceName(internal::ClusterName(cluster));
  const std::string ns = internal::ClusterNamespace(cluster);
  const std::string port = std::to_string(kPostgresPort);
  const std::string short_host = ns.empty() ? host : host + "." + ns;
  const std::string fqdn_host = short_host + (ns.empty() ? "" : ".svc." + settings.cluster_domain);
  auto uri = [&](const std::string& h) {
    return "postgresql://" + PercentEncode(user) + ":" + PercentEncode(password) + "@" + h + ":" + port + "/" +
           PercentEncode(dbname);
  };
  auto jdbc = [&](const std::string& h) {
    return "jdbc:postgresql://" + h + ":" + port + "/" + PercentEncode(dbname) +
           "?password=" + PercentEncode(password) + "&user=" + PercentEncode(user);
  };
  Json data = {
      {"username", user},
      {"user", user},
      {"password", password},
      {"dbname", dbname},
      {"host", host},
      {"port", port},
      {"pgpass", PgpassField(host) + ":" + port + ":" + PgpassField(dbname) + ":" + PgpassField(user) + ":" +
                     PgpassField(password) + "\n"},
      {"uri", uri(short_host)},
      {"jdbc-uri", jdbc(short_host)},
      {"fqdn-uri", uri(fqdn_host)},
      {"fqdn-jdbc-uri", jdbc(fqdn_host)},
  };
  Json secret = Secret(cluster, app ? AppSecretName(cluster) : SuperuserSecretName(cluster), "kubernetes.io/basic-auth",
                       std::move(data), settings);
  secret["metadata"]["labels"][kUserTypeLabel] = app ? "app" : "superuser";
  return secret;
}

Json TlsSecret(const api::Cluster& cluster, TlsSecretKind kind, const tls::CertifiedKey& pem,
               const OperatorSettings& settings) {
  const std::string name = internal::ClusterName(cluster);
  switch (kind) {
    case TlsSecretKind::kCa:
      return Secret(cluster, CaSecretName(name), "Opaque", {{"ca.crt", pem.certificate}, {"ca.key", pem.private_key}},
                    settings);
    case TlsSecretKind::kServer:
      return Secret(cluster, ServerSecretName(name), "kubernetes.io/tls",
                    {{"tls.crt", pem.certificate}, {"tls.key", pem.private_key}}, settings);
    case TlsSecretKind::kReplication:
      break;
  }
  return Secret(cluster, ReplicationSecretName(name), "kubernetes.io/tls",
                {{"tls.crt", pem.certificate}, {"tls.key", pem.private_key}}, settings);
}

}  // namespace tusk::op::specs
