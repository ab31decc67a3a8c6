#include "instance-manager/pg_tools.h"

#include <unistd.h>

#include <filesystem>

namespace tusk::instance {

StatusOr<SubprocessResult> ProcessPgTools::Run(const std::string& program, const std::vector<std::string>& args,
                                               Duration timeout, const std::string& stdin_data) {
  SubprocessOptions o;
  o.argv = {options().bin_dir + "/" + program};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  if (options().drop_privileges()) {
    o.uid = options().postgres_uid;
    o.gid = options().postgres_gid;
  }
  // Programs run from a directory postgres can read; LC_ALL keeps their
  // messages parseable.
  o.working_dir = "/";
  o.env = {"LC_ALL=C", "PGDATA=" + options().pgdata};
  if (!stdin_data.empty()) o.stdin_data = stdin_data;
  ASSIGN_OR_RETURN(auto r, registry_->Run(o, timeout));
  if (r.timed_out) return DeadlineExceededError(program + " did not finish in time");
  if (!r.exit.success()) {
    std::string err = r.stderr_data;
    while (!err.empty() && err.back() == '\n') err.pop_back();
    return UnknownError(program + " failed (" + r.exit.Describe() + "): " + err);
  }
  return r;
}

Status ProcessPgTools::ChownToPostgres(const std::string& path) {
  if (!options().drop_privileges()) return OkStatus();
  std::error_code ec;
  auto chown_one = [&](const std::filesystem::path& p) -> Status {
    if (::lchown(p.c_str(), options().postgres_uid, options().postgres_gid) != 0) {
      return ErrnoError("chown " + p.string(), errno);
    }
    return OkStatus();
  };
  RETURN_IF_ERROR(chown_one(path));
  if (std::filesystem::is_directory(path)) {
    for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      RETURN_IF_ERROR(chown_one(it->path()));
    }
  }
  if (ec) return InternalError("walk " + path + ": " + ec.message());
  return OkStatus();
}

std::map<std::string, std::string> ParseControlData(const std::string& text) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(start, nl - start);
    start = nl + 1;
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    out[line.substr(0, colon)] = value;
  }
  return out;
}

StatusOr<std::map<std::string, std::string>> PgTools::ControlData() {
  ASSIGN_OR_RETURN(auto r, Run("pg_controldata", {"-D", options().pgdata}, std::chrono::seconds(30)));
  return ParseControlData(r.stdout_data);
}

}  // namespace tusk::instance
