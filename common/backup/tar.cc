#include "common/backup/tar.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/base/files.h"

namespace tusk::backup {
namespace {

constexpr size_t kBlock = 512;

// Zero-padded octal filling width-1 characters plus a NUL.
void Octal(char* field, size_t width, uint64_t value) {
  field[width - 1] = '\0';
  for (size_t i = width - 1; i-- > 0;) {
    field[i] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
}

std::string PaxRecord(const std::string& key, const std::string& value) {
  // "<len> key=value\n" where len counts itself.
  size_t body = key.size() + value.size() + 3;
  size_t len = body + std::to_string(body).size();
  if (std::to_string(len).size() + body != len) ++len;
  return std::to_string(len) + " " + key + "=" + value + "\n";
}

std::string Header(const TarEntry& e, const std::string& name, const std::string& link, char type, uint64_t size) {
  std::string h(kBlock, '\0');
  std::memcpy(h.data(), name.data(), std::min<size_t>(name.size(), 100));
  Octal(&h[100], 8, e.mode & 07777);
  Octal(&h[108], 8, e.uid & 07777777);
  Octal(&h[116], 8, e.gid & 07777777);
  Octal(&h[124], 12, size);
  Octal(&h[136], 12, static_cast<uint64_t>(std::max<int64_t>(e.mtime, 0)));
  h[156] = type;
  std::memcpy(&h[157], link.data(), std::min<size_t>(link.size(), 100));
  std::memcpy(&h[257], "ustar\0" "00", 8);
  std::memset(&h[148], ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(&h[148], 8, "%06o", sum);
  h[155] = ' ';
  return h;
}

uint64_t ParseOctal(const char* p, size_t n) {
  // GNU base-256 for large values.
  if (static_cast<unsigned char>(p[0]) & 0x80) {
    uint64_t v = 0;
    for (size_t i = 1; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < n && p[i]; ++i) {
    if (p[i] >= '0' && p[i] <= '7') v = v * 8 + static_cast<uint64_t>(p[i] - '0');
  }
  return v;
}

std::string Field(const char* p, size_t n) { return std::string(p, strnlen(p, n)); }

// Member names are relative; "./x" and "x" are the same file.
StatusOr<std::string> SafeRelative(std::string name) {
  while (name.rfind("./", 0) == 0) name = name.substr(2);
  while (!name.empty() && name.back() == '/') name.pop_back();
  if (name == ".") name.clear();
  if (!name.empty() && name[0] == '/') return DataLossError("tar member '" + name + "' is absolute");
  size_t pos = 0;
  while (pos <= name.size()) {
    size_t next = name.find('/', pos);
    std::string part = name.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    if (part == "..") return DataLossError("tar member '" + name + "' escapes the target directory");
    if (next == std::string::npos) break;
    pos = next + 1;
  }
  return name;
}

}  // namespace

Status TarWriter::Emit(std::string_view bytes) {
  written_ += bytes.size();
  return sink_(bytes);
}

Status TarWriter::Begin(const TarEntry& e) {
  std::string name = e.name;
  if (e.type == '5' && (name.empty() || name.back() != '/')) name += "/";
  uint64_t size = e.type == '0' ? e.size : 0;
  if (name.size() > 100 || e.link_target.size() > 100 || size > 077777777777ull) {
    std::string pax;
    if (name.size() > 100) pax += PaxRecord("path", name);
    if (e.link_target.size() > 100) pax += PaxRecord("linkpath", e.link_target);
    if (size > 077777777777ull) pax += PaxRecord("size", std::to_string(size));
    TarEntry px;
    px.mode = 0644;
    px.mtime = e.mtime;
    RETURN_IF_ERROR(Emit(Header(px, "././@PaxHeader", "", 'x', pax.size())));
    pax.resize((pax.size() + kBlock - 1) / kBlock * kBlock, '\0');
    RETURN_IF_ERROR(Emit(pax));
  }
  RETURN_IF_ERROR(Emit(Header(e, name, e.link_target, e.type, size > 077777777777ull ? 0 : size)));
  member_left_ = size;
  member_size_ = size;
  return OkStatus();
}

Status TarWriter::Data(std::string_view bytes) {
  if (bytes.size() > member_left_) return InternalError("tar member grew past its declared size");
  member_left_ -= bytes.size();
  return Emit(bytes);
}

Status TarWriter::End() {
  if (member_left_ != 0) return InternalError("tar member shorter than its declared size");
  size_t pad = (kBlock - member_size_ % kBlock) % kBlock;
  member_size_ = 0;
  return pad ? Emit(std::string(pad, '\0')) : OkStatus();
}

Status TarWriter::AddBytes(const TarEntry& entry, std::string_view content) {
  TarEntry e = entry;
  e.size = content.size();
  RETURN_IF_ERROR(Begin(e));
  RETURN_IF_ERROR(Data(content));
  return End();
}

Status TarWriter::Finish() { return Emit(std::string(2 * kBlock, '\0')); }

TarExtractor::TarExtractor(std::string root) : root_(std::move(root)) {}
TarExtractor::~TarExtractor() {
  if (fd_ >= 0) ::close(fd_);
}

Status TarExtractor::OpenMember() {
  ASSIGN_OR_RETURN(std::string rel, SafeRelative(entry_.name));
  std::string path = rel.empty() ? root_ : root_ + "/" + rel;
  auto parent = path.substr(0, path.rfind('/'));
  switch (entry_.type) {
    case '5':
      RETURN_IF_ERROR(MakeDirs(path, 0700));
      ::chmod(path.c_str(), entry_.mode & 07777);
      return OkStatus();
    case '2':
      RETURN_IF_ERROR(MakeDirs(parent, 0700));
      ::unlink(path.c_str());
      if (::symlink(entry_.link_target.c_str(), path.c_str()) != 0) return ErrnoError("symlink " + path, errno);
      return OkStatus();
    case '0':
    case '\0':
    case '7':
      RETURN_IF_ERROR(MakeDirs(parent, 0700));
      fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, entry_.mode & 07777);
      if (fd_ < 0) return ErrnoError("creating " + path, errno);
      written_ = writeback_from_ = 0;
      ++files_;
      return OkStatus();
    default:
      return OkStatus();  // hard links, devices: not in a PGDATA
  }
}

// Asks the kernel to start writing what this member has written since the
// last call, without waiting: the disk works while the download goes on, and
// the caller's final sync finds little left to do.
void TarExtractor::StartWriteback() {
  if (written_ > writeback_from_) {
    ::sync_file_range(fd_, static_cast<off_t>(writeback_from_), static_cast<off_t>(written_ - writeback_from_),
                      SYNC_FILE_RANGE_WRITE);
  }
  writeback_from_ = written_;
}

Status TarExtractor::CloseMember() {
  if (fd_ < 0) return OkStatus();
  StartWriteback();
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return ErrnoError("closing " + entry_.name, errno);
  return OkStatus();
}

Status TarExtractor::OnHeader(const char* h) {
  bool zero = std::all_of(h, h + kBlock, [](char c) { return c == 0; });
  if (zero) {
    ended_ = true;
    return OkStatus();
  }
  unsigned sum = 0;
  for (size_t i = 0; i < kBlock; ++i) sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
  if (sum != ParseOctal(h + 148, 8)) return DataLossError("tar header checksum mismatch: the archive is corrupt");
  TarEntry e;
  e.type = h[156];
  std::string prefix = Field(h + 345, 155);
  e.name = Field(h, 100);
  if (std::memcmp(h + 257, "ustar", 5) == 0 && !prefix.empty()) e.name = prefix + "/" + e.name;
  e.mode = static_cast<mode_t>(ParseOctal(h + 100, 8));
  e.size = ParseOctal(h + 124, 12);
  e.mtime = static_cast<int64_t>(ParseOctal(h + 136, 12));
  e.link_target = Field(h + 157, 100);
  left_ = e.size;
  pad_ = (kBlock - e.size % kBlock) % kBlock;
  if (e.type == 'x' || e.type == 'g' || e.type == 'L' || e.type == 'K') {
    // These are held in memory whole; a name or PAX block is never this big.
    if (e.type != 'g' && e.size > kMaxExtendedHeader) {
      return DataLossError("a tar extended header of " + std::to_string(e.size) + " bytes: the archive is corrupt");
    }
    pax_buf_.clear();
    state_ = e.type == 'x' ? State::kPax : e.type == 'L' ? State::kLongName : e.type == 'K' ? State::kLongLink : State::kSkip;
    if (left_ == 0 && pad_ == 0) state_ = State::kHeader;
    return OkStatus();
  }
  if (!pending_path_.empty()) e.name = pending_path_;
  if (!pending_link_.empty()) e.link_target = pending_link_;
  if (pending_size_ != UINT64_MAX) {
    e.size = pending_size_;
    left_ = e.size;
    pad_ = (kBlock - e.size % kBlock) % kBlock;
  }
  pending_path_.clear();
  pending_link_.clear();
  pending_size_ = UINT64_MAX;
  if (e.type != '0' && e.type != '\0' && e.type != '7') {
    left_ = 0;
    pad_ = 0;
  }
  entry_ = e;
  RETURN_IF_ERROR(OpenMember());
  state_ = State::kData;
  if (left_ == 0 && pad_ == 0) {
    RETURN_IF_ERROR(CloseMember());
    state_ = State::kHeader;
  }
  return OkStatus();
}

Status TarExtractor::ParsePax(std::string_view records) {
  // "<len> <key>=<value>\n", where <len> counts the whole record.
  while (!records.empty()) {
    size_t sp = records.find(' ');
    size_t len = 0;
    auto [end, ec] = std::from_chars(records.data(), records.data() + std::min(sp, records.size()), len);
    if (sp == std::string_view::npos || ec != std::errc() || end != records.data() + sp || len <= sp + 1 ||
        len > records.size() || records[len - 1] != '\n') {
      return DataLossError("a PAX header record is malformed: the archive is corrupt");
    }
    std::string_view rec = records.substr(sp + 1, len - sp - 2);
    records.remove_prefix(len);
    size_t eq = rec.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view k = rec.substr(0, eq), v = rec.substr(eq + 1);
    if (k == "path") {
      pending_path_ = std::string(v);
    } else if (k == "linkpath") {
      pending_link_ = std::string(v);
    } else if (k == "size") {
      uint64_t size = 0;
      auto [size_end, size_ec] = std::from_chars(v.data(), v.data() + v.size(), size);
      if (v.empty() || size_ec != std::errc() || size_end != v.data() + v.size() || size == UINT64_MAX) {
        return DataLossError("a PAX size '" + std::string(v.substr(0, 40)) + "' is not a number: the archive is corrupt");
      }
      pending_size_ = size;
    }
  }
  return OkStatus();
}

Status TarExtractor::Write(std::string_view bytes) {
  while (!bytes.empty()) {
    if (ended_) return OkStatus();  // trailing zero blocks and padding
    if (state_ == State::kHeader) {
      size_t take = std::min(bytes.size(), kBlock - header_buf_.size());
      header_buf_.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
      if (header_buf_.size() == kBlock) {
        std::string h;
        h.swap(header_buf_);
        RETURN_IF_ERROR(OnHeader(h.data()));
      }
      continue;
    }
    if (left_ > 0) {
      size_t take = static_cast<size_t>(std::min<uint64_t>(bytes.size(), left_));
      std::string_view piece = bytes.substr(0, take);
      if (state_ == State::kData && fd_ >= 0) {
        while (!piece.empty()) {
          ssize_t n = ::write(fd_, piece.data(), piece.size());
          if (n < 0 && errno == EINTR) continue;
          if (n < 0) return ErrnoError("writing " + root_ + "/" + entry_.name, errno);
          piece.remove_prefix(static_cast<size_t>(n));
          written_ += static_cast<uint64_t>(n);
        }
        if (written_ - writeback_from_ >= kWritebackStep) StartWriteback();
      } else if (state_ != State::kData && state_ != State::kSkip) {
        pax_buf_.append(piece);
      }
      left_ -= take;
      bytes.remove_prefix(take);
      if (left_ > 0) continue;
    }
    if (pad_ > 0) {
      size_t take = static_cast<size_t>(std::min<uint64_t>(bytes.size(), pad_));
      pad_ -= take;
      bytes.remove_prefix(take);
      if (pad_ > 0) continue;
    }
    // Member complete.
    if (state_ == State::kData) {
      RETURN_IF_ERROR(CloseMember());
    } else if (state_ == State::kLongName) {
      pending_path_ = std::string(pax_buf_.c_str());
    } else if (state_ == State::kLongLink) {
      pending_link_ = std::string(pax_buf_.c_str());
    } else if (state_ == State::kPax) {
      RETURN_IF_ERROR(ParsePax(pax_buf_));
    }
    state_ = State::kHeader;
  }
  return OkStatus();
}

Status TarExtractor::Finish() {
  if (state_ != State::kHeader || !header_buf_.empty()) return DataLossError("the tar stream ends inside a member");
  if (!ended_) return DataLossError("the tar stream has no end marker: the backup is incomplete");
  return OkStatus();
}

}  // namespace tusk::backup
