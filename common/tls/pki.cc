#include "common/tls/pki.h"

#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "common/tls/openssl_util.h"

namespace tusk::tls {
namespace {

using internal::CertPtr;
using internal::KeyPtr;
using internal::OpenSslError;

StatusOr<KeyPtr> NewKey() {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return OpenSslError(StatusCode::kInternal, "generating an ECDSA P-256 key");
  return key;
}

// Letters, digits, '-' and '.', optionally a leading "*." wildcard: anything
// else would not be a DNS name, and could not be written safely into the
// extension's configuration string below.
bool IsDnsName(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  size_t start = name.rfind("*.", 0) == 0 ? 2 : 0;
  if (start == name.size()) return false;
  for (size_t i = start; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

Status AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) {
    return OpenSslError(StatusCode::kInternal, std::string("certificate extension ") + OBJ_nid2sn(nid));
  }
  int added = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (added != 1) return OpenSslError(StatusCode::kInternal, std::string("adding extension ") + OBJ_nid2sn(nid));
  return OkStatus();
}

Status SetSerial(X509* cert) {
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return OpenSslError(StatusCode::kInternal, "random serial number");
  serial[0] &= 0x7f;  // positive, as RFC 5280 requires
  serial[0] |= 0x01;  // and never zero
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  bool ok = bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != nullptr;
  BN_free(bn);
  return ok ? OkStatus() : OpenSslError(StatusCode::kInternal, "setting the serial number");
}

Status SetValidity(X509* cert, WallTime now, Duration lifetime) {
  if (ASN1_TIME_set(X509_getm_notBefore(cert), internal::ToTimeT(now - kBackdate)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert), internal::ToTimeT(now + lifetime)) == nullptr) {
    return OpenSslError(StatusCode::kInternal, "setting the validity period");
  }
  return OkStatus();
}

// The unsigned certificate for `key`, issued by `issuer` (self-issued, a CA,
// when null).
StatusOr<CertPtr> MakeCertificate(EVP_PKEY* key, const std::string& common_name, X509* issuer, WallTime now,
                                  Duration lifetime) {
  if (common_name.empty()) return InvalidArgumentError("a certificate needs a common name");
  if (lifetime <= Duration::zero()) return InvalidArgumentError("a certificate's lifetime must be positive");
  CertPtr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1) return OpenSslError(StatusCode::kInternal, "new certificate");
  RETURN_IF_ERROR(SetSerial(cert.get()));
  RETURN_IF_ERROR(SetValidity(cert.get(), now, lifetime));
  X509_NAME* subject = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0) != 1) {
    return OpenSslError(StatusCode::kInvalidArgument, "common name \"" + common_name + "\"");
  }
  X509* signer = issuer != nullptr ? issuer : cert.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) != 1 || X509_set_pubkey(cert.get(), key) != 1) {
    return OpenSslError(StatusCode::kInternal, "setting issuer and public key");
  }
  RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_subject_key_identifier, "hash"));
  if (issuer == nullptr) {
    RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE"));
    RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature"));
  } else {
    RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_authority_key_identifier, "keyid"));
    RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE"));
    RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_key_usage, "critical,digitalSignature,keyEncipherment"));
  }
  return cert;
}

Status Sign(X509* cert, EVP_PKEY* key) {
  if (X509_sign(cert, key, EVP_sha256()) == 0) return OpenSslError(StatusCode::kInternal, "signing the certificate");
  return OkStatus();
}

StatusOr<CertifiedKey> Pem(X509* cert, EVP_PKEY* key) {
  CertifiedKey out;
  ASSIGN_OR_RETURN(out.certificate, internal::WriteCertificate(cert));
  ASSIGN_OR_RETURN(out.private_key, internal::WritePrivateKey(key));
  return out;
}

}  // namespace

StatusOr<CertifiedKey> CreateCa(const std::string& common_name, WallTime now, Duration lifetime) {
  ASSIGN_OR_RETURN(KeyPtr key, NewKey());
  ASSIGN_OR_RETURN(CertPtr cert, MakeCertificate(key.get(), common_name, nullptr, now, lifetime));
  RETURN_IF_ERROR(Sign(cert.get(), key.get()));
  return Pem(cert.get(), key.get());
}

StatusOr<CertifiedKey> IssueCertificate(const CertifiedKey& ca, const CertificateRequest& request, WallTime now) {
  ASSIGN_OR_RETURN(CertPtr ca_cert, internal::ReadCertificate(ca.certificate, "the CA certificate"));
  ASSIGN_OR_RETURN(KeyPtr ca_key, internal::ReadPrivateKey(ca.private_key, "the CA private key"));
  if (X509_check_private_key(ca_cert.get(), ca_key.get()) != 1) {
    return internal::OpenSslError(StatusCode::kInvalidArgument,
                                  "the CA private key does not belong to the CA certificate");
  }
  if (X509_check_ca(ca_cert.get()) == 0) {
    return InvalidArgumentError("the CA certificate is not a CA (no basicConstraints CA:TRUE)");
  }
  std::string alt_names;
  for (const auto& name : request.dns_names) {
    if (!IsDnsName(name)) return InvalidArgumentError("\"" + name + "\" is not a DNS name");
    alt_names += (alt_names.empty() ? "DNS:" : ",DNS:") + name;
  }
  ASSIGN_OR_RETURN(KeyPtr key, NewKey());
  ASSIGN_OR_RETURN(CertPtr cert, MakeCertificate(key.get(), request.common_name, ca_cert.get(), now, request.lifetime));
  RETURN_IF_ERROR(AddExtension(cert.get(), ca_cert.get(), NID_ext_key_usage,
                               request.usage == Usage::kServer ? "serverAuth" : "clientAuth"));
  if (!alt_names.empty()) {
    RETURN_IF_ERROR(AddExtension(cert.get(), ca_cert.get(), NID_subject_alt_name, alt_names));
  }
  RETURN_IF_ERROR(Sign(cert.get(), ca_key.get()));
  return Pem(cert.get(), key.get());
}

bool NeedsRenewal(WallTime not_after, WallTime now, Duration renew_before) { return now + renew_before >= not_after; }

}  // namespace tusk::tls
