#include "test/localkube/runtime/image_table.h"

#include <fnmatch.h>

#include <sstream>

namespace tusk::localkube {
namespace {

constexpr char kHostPath[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

StatusOr<ImageUser> ParseUser(const std::string& spec, int line_no) {
  auto parts = Split(spec, ':');
  try {
    if (parts.size() == 3) return ImageUser{parts[0], std::stoll(parts[1]), std::stoll(parts[2])};
  } catch (const std::exception&) {
  }
  return InvalidArgumentError("image table line " + std::to_string(line_no) + ": user must be NAME:UID:GID, got \"" +
                              spec + "\"");
}

}  // namespace

StatusOr<ImageTable> ParseImageTable(const std::string& text, const std::string& build_dir) {
  ImageTable table;
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::string pattern, dirs;
    if (!(words >> pattern)) continue;
    if (!(words >> dirs)) {
      return InvalidArgumentError("image table line " + std::to_string(line_no) + ": missing directories");
    }
    ImageEntry entry{pattern, {}, {}};
    if (dirs != "host") {
      for (std::string dir : Split(dirs, ':')) {
        if (auto at = dir.find("${BUILD}"); at != std::string::npos) dir.replace(at, 8, build_dir);
        entry.dirs.push_back(dir);
      }
    }
    std::string extra;
    while (words >> extra) {
      if (extra.rfind("user=", 0) != 0) {
        return InvalidArgumentError("image table line " + std::to_string(line_no) + ": unknown field \"" + extra + "\"");
      }
      ASSIGN_OR_RETURN(ImageUser user, ParseUser(extra.substr(5), line_no));
      entry.users.push_back(user);
    }
    table.entries.push_back(std::move(entry));
  }
  return table;
}

StatusOr<ImageEntry> ResolveImage(const ImageTable& table, const std::string& image) {
  for (const auto& entry : table.entries) {
    if (fnmatch(entry.pattern.c_str(), image.c_str(), 0) == 0) return entry;
  }
  return NotFoundError("Failed to pull image \"" + image +
                       "\": localkube's image table has no entry for this image");
}

std::string ImagePath(const ImageEntry& entry) {
  std::string path;
  for (const auto& dir : entry.dirs) path += dir + ":";
  return path + kHostPath;
}

}  // namespace tusk::localkube
