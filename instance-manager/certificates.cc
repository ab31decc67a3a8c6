#include "instance-manager/certificates.h"

#include "common/base/files.h"

namespace tusk::instance {

Status InstallCertificates(const Options& options, PgTools& tools) {
  if (options.replication_auth != pg::ReplicationAuth::kCertificate || options.certificates_source.empty()) {
    return OkStatus();
  }
  RETURN_IF_ERROR(MakeDirs(options.certificates_dir, 0700));
  RETURN_IF_ERROR(tools.ChownToPostgres(options.certificates_dir));
  for (const char* name : kCertificateFiles) {
    const std::string from = options.certificates_source + "/" + name;
    auto data = ReadFile(from);
    if (!data.ok()) {
      return NotFoundError("certificate " + from + " cannot be read (" + data.status().message() +
                           "): mount the certificate secrets there, or name their directory with "
                           "--certificates-source");
    }
    const std::string to = options.certificates_dir + "/" + name;
    RETURN_IF_ERROR(WriteFileAtomic(to, *data, 0600));
    RETURN_IF_ERROR(tools.ChownToPostgres(to));
  }
  return OkStatus();
}

}  // namespace tusk::instance
