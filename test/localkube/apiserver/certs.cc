#include "test/localkube/apiserver/certs.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "common/base/files.h"

namespace tusk::localkube {
namespace {

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;

KeyPtr NewKey() { return KeyPtr(EVP_EC_gen("P-256"), EVP_PKEY_free); }

bool AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) return false;
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return true;
}

CertPtr MakeCert(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuer_key, bool ca) {
  CertPtr cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * 3650);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* iss = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(iss));
  if (ca) {
    AddExt(cert.get(), iss, NID_basic_constraints, "critical,CA:TRUE");
    AddExt(cert.get(), iss, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
    AddExt(cert.get(), iss, NID_subject_key_identifier, "hash");
  } else {
    AddExt(cert.get(), iss, NID_basic_constraints, "critical,CA:FALSE");
    AddExt(cert.get(), iss, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    AddExt(cert.get(), iss, NID_ext_key_usage, "serverAuth");
    AddExt(cert.get(), iss, NID_subject_alt_name,
           "DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,"
           "DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:::1,"
           // The `kubernetes` Service's ClusterIP and the host's address on
           // the pod network: in-cluster clients verify the API against these.
           "IP:10.96.0.1,IP:10.243.255.1");
  }
  if (X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) == 0) return CertPtr(nullptr, X509_free);
  return cert;
}

std::string CertPem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

std::string KeyPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

}  // namespace

StatusOr<Pki> EnsurePki(const std::string& dir) {
  Pki pki{dir + "/ca.crt", dir + "/apiserver.crt", dir + "/apiserver.key"};
  if (PathExists(pki.ca_cert_path) && PathExists(pki.server_cert_path) && PathExists(pki.server_key_path)) return pki;
  RETURN_IF_ERROR(MakeDirs(dir, 0700));
  KeyPtr ca_key = NewKey();
  KeyPtr server_key = NewKey();
  if (!ca_key || !server_key) return InternalError("generating EC keys failed");
  CertPtr ca = MakeCert(ca_key.get(), "localkube-ca", nullptr, nullptr, true);
  if (!ca) return InternalError("signing the CA certificate failed");
  CertPtr server = MakeCert(server_key.get(), "kube-apiserver", ca.get(), ca_key.get(), false);
  if (!server) return InternalError("signing the serving certificate failed");
  RETURN_IF_ERROR(WriteFileAtomic(dir + "/ca.key", KeyPem(ca_key.get()), 0600));
  RETURN_IF_ERROR(WriteFileAtomic(pki.server_key_path, KeyPem(server_key.get()), 0600));
  RETURN_IF_ERROR(WriteFileAtomic(pki.server_cert_path, CertPem(server.get()), 0644));
  RETURN_IF_ERROR(WriteFileAtomic(pki.ca_cert_path, CertPem(ca.get()), 0644));
  return pki;
}

}  // namespace tusk::localkube
