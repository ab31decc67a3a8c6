#include "test/localkube/runtime/etc_files.h"

#include <functional>
#include <map>
#include <set>
#include <sstream>

namespace tusk::localkube {
namespace {

// Field 0 (name) and field 2 (uid or gid) of a passwd/group line.
bool NameAndId(const std::string& line, std::string* name, int64_t* id) {
  std::vector<std::string> fields;
  std::string f;
  std::istringstream in(line);
  while (std::getline(in, f, ':')) fields.push_back(f);
  if (fields.size() < 3) return false;
  *name = fields[0];
  try {
    *id = std::stoll(fields[2]);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

std::string Render(const std::string& host, const std::vector<std::pair<std::string, int64_t>>& wanted,
                   const std::vector<int64_t>& extra_ids, const std::function<std::string(const std::string&, int64_t)>& line_for,
                   const std::string& anonymous_prefix) {
  std::set<std::string> names;
  std::set<int64_t> ids;
  for (const auto& [n, id] : wanted) {
    names.insert(n);
    ids.insert(id);
  }
  std::string out;
  std::istringstream in(host);
  std::string line;
  std::set<int64_t> known;
  while (std::getline(in, line)) {
    std::string name;
    int64_t id = 0;
    if (NameAndId(line, &name, &id)) {
      if (names.count(name) || ids.count(id)) continue;
      known.insert(id);
    }
    out += line + "\n";
  }
  for (const auto& [n, id] : wanted) {
    out += line_for(n, id);
    known.insert(id);
  }
  for (int64_t id : extra_ids) {
    if (known.insert(id).second) out += line_for(anonymous_prefix + std::to_string(id), id);
  }
  return out;
}

}  // namespace

std::string RenderPasswd(const std::string& host_passwd, const std::vector<ImageUser>& users,
                         const std::vector<int64_t>& uids) {
  std::vector<std::pair<std::string, int64_t>> wanted;
  std::map<int64_t, int64_t> gid_of;
  for (const auto& u : users) {
    wanted.emplace_back(u.name, u.uid);
    gid_of[u.uid] = u.gid;
  }
  return Render(host_passwd, wanted, uids,
                [&](const std::string& name, int64_t uid) {
                  const int64_t gid = gid_of.count(uid) ? gid_of[uid] : uid;
                  return name + ":x:" + std::to_string(uid) + ":" + std::to_string(gid) + "::/:/bin/sh\n";
                },
                "uid");
}

std::string RenderGroup(const std::string& host_group, const std::vector<ImageUser>& users,
                        const std::vector<int64_t>& gids) {
  std::vector<std::pair<std::string, int64_t>> wanted;
  for (const auto& u : users) wanted.emplace_back(u.name, u.gid);
  return Render(host_group, wanted, gids,
                [](const std::string& name, int64_t gid) { return name + ":x:" + std::to_string(gid) + ":\n"; },
                "gid");
}

}  // namespace tusk::localkube
