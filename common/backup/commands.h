// The backup subcommands of tusk-instance as library entry points; the
// binary's main dispatches to them. Each returns the process exit code.
//
//   wal-archive [--config F] [--socket S] <%p>      archive_command
//   wal-restore [--config F] <%f> <%p>               restore_command
//   backup      [--config F] [--pgdata D] [--conninfo C] [--backup-name N]
//   restore     [--config F] --pgdata D [--backup-id ID|latest]
//               [--target-time T | --target-lsn L | --target-xid X |
//                --target-name N | --target-immediate] [--target-tli T]
//               [--restore-command CMD]
//   backup-retention [--config F] [--policy 30d]
//
// --config defaults to $TUSK_BACKUP_CONFIG, --socket to
// $TUSK_ARCHIVER_SOCKET, --pgdata to $PGDATA. Exit codes: 0 done; 1 the WAL
// file is not in the archive, or archiving failed (postgres retries); 2 any
// other error. None exceeds 125, so postgres never treats one as fatal.
#pragma once

#include <string>
#include <vector>

namespace tusk::backup {

int WalArchiveCommand(const std::vector<std::string>& args);
int WalRestoreCommand(const std::vector<std::string>& args);
int BackupCommand(const std::vector<std::string>& args);
int RestoreCommand(const std::vector<std::string>& args);
int RetentionCommand(const std::vector<std::string>& args);

}  // namespace tusk::backup
