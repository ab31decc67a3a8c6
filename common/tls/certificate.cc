#include "common/tls/certificate.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "common/tls/openssl_util.h"

namespace tusk::tls {
namespace {

using internal::CertPtr;
using internal::KeyPtr;

std::string Utf8(const ASN1_STRING* s) {
  unsigned char* out = nullptr;
  int n = ASN1_STRING_to_UTF8(&out, s);
  if (n < 0) return "";
  std::string text(reinterpret_cast<char*>(out), static_cast<size_t>(n));
  OPENSSL_free(out);
  return text;
}

std::string CommonName(const X509_NAME* name) {
  int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (i < 0) return "";
  return Utf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
}

std::vector<std::string> DnsNames(X509* cert) {
  std::vector<std::string> out;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_DNS) out.push_back(Utf8(name->d.dNSName));
  }
  GENERAL_NAMES_free(names);
  return out;
}

StatusOr<std::string> PublicKeySha256(X509* cert) {
  unsigned char* der = nullptr;
  int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (n <= 0) return internal::OpenSslError(StatusCode::kInvalidArgument, "encoding the public key");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  int ok = EVP_Digest(der, static_cast<size_t>(n), md, &md_len, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  if (ok != 1) return internal::OpenSslError(StatusCode::kInternal, "hashing the public key");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < md_len; ++i) {
    hex += kHex[md[i] >> 4];
    hex += kHex[md[i] & 0x0f];
  }
  return hex;
}

}  // namespace

StatusOr<CertificateInfo> ParseCertificate(const std::string& pem) {
  ASSIGN_OR_RETURN(CertPtr cert, internal::ReadCertificate(pem, "certificate"));
  CertificateInfo info;
  info.common_name = CommonName(X509_get_subject_name(cert.get()));
  info.issuer_common_name = CommonName(X509_get_issuer_name(cert.get()));
  info.dns_names = DnsNames(cert.get());
  ASSIGN_OR_RETURN(info.not_before, internal::FromAsn1Time(X509_get0_notBefore(cert.get())));
  ASSIGN_OR_RETURN(info.not_after, internal::FromAsn1Time(X509_get0_notAfter(cert.get())));
  // Reading the flags makes OpenSSL decode the extensions; a malformed one
  // marks the certificate invalid.
  const uint32_t flags = X509_get_extension_flags(cert.get());
  if (flags & EXFLAG_INVALID) return InvalidArgumentError("certificate: malformed extensions");
  info.is_ca = (flags & EXFLAG_CA) != 0;
  if (flags & EXFLAG_XKUSAGE) {
    const uint32_t xku = X509_get_extended_key_usage(cert.get());
    info.server_auth = (xku & XKU_SSL_SERVER) != 0;
    info.client_auth = (xku & XKU_SSL_CLIENT) != 0;
  }
  ASSIGN_OR_RETURN(info.public_key_sha256, PublicKeySha256(cert.get()));
  return info;
}

Status VerifyCertificate(const std::string& pem, const std::string& ca_pem, WallTime at) {
  ASSIGN_OR_RETURN(CertPtr cert, internal::ReadCertificate(pem, "certificate"));
  ASSIGN_OR_RETURN(CertPtr ca, internal::ReadCertificate(ca_pem, "CA certificate"));
  X509_STORE* store = X509_STORE_new();
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  Status result = OkStatus();
  if (store == nullptr || ctx == nullptr || X509_STORE_add_cert(store, ca.get()) != 1 ||
      X509_STORE_CTX_init(ctx, store, cert.get(), nullptr) != 1) {
    result = internal::OpenSslError(StatusCode::kInternal, "setting up certificate verification");
  } else {
    // The CA may itself be an intermediate a user's PKI issued: trust it as
    // the anchor rather than insisting on a self-signed root.
    X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_PARTIAL_CHAIN);
    X509_STORE_CTX_set_time(ctx, 0, internal::ToTimeT(at));
    if (X509_verify_cert(ctx) != 1) {
      result = InvalidArgumentError(std::string("certificate does not verify against the CA: ") +
                                    X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
      ERR_clear_error();
    }
  }
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return result;
}

Status CheckKeyPair(const std::string& certificate_pem, const std::string& key_pem) {
  ASSIGN_OR_RETURN(CertPtr cert, internal::ReadCertificate(certificate_pem, "certificate"));
  ASSIGN_OR_RETURN(KeyPtr key, internal::ReadPrivateKey(key_pem, "private key"));
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return internal::OpenSslError(StatusCode::kInvalidArgument, "the private key does not belong to the certificate");
  }
  return OkStatus();
}

}  // namespace tusk::tls
