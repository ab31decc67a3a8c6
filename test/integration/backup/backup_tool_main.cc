// A test-only front end to the backup commands, standing in for
// `tusk-instance <command>` until the instance manager dispatches to them.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "common/backup/commands.h"
#include "common/log/log.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s wal-archive|wal-restore|backup|restore|backup-retention ...\n", argv[0]);
    return 2;
  }
  tusk::log::Options options;
  options.to_stderr = true;
  tusk::log::Init(options);
  std::vector<std::string> args(argv + 2, argv + argc);
  std::string cmd = argv[1];
  int rc = 2;
  if (cmd == "wal-archive") rc = tusk::backup::WalArchiveCommand(args);
  else if (cmd == "wal-restore") rc = tusk::backup::WalRestoreCommand(args);
  else if (cmd == "backup") rc = tusk::backup::BackupCommand(args);
  else if (cmd == "restore") rc = tusk::backup::RestoreCommand(args);
  else if (cmd == "backup-retention") rc = tusk::backup::RetentionCommand(args);
  else std::fprintf(stderr, "unknown command %s\n", cmd.c_str());
  tusk::log::Flush();
  return rc;
}
