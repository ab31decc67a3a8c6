#include "common/s3/http_parse.h"

#include <charconv>

namespace tusk::s3 {
namespace {

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// What the error message shows of a server's line: bounded and printable.
std::string Shown(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 80)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  return out;
}

bool IsTokenChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// All of `s` as a number in `base`, at most `max`.
StatusOr<uint64_t> BoundedNumber(std::string_view s, int base, uint64_t max, const char* what) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n, base);
  if (s.empty() || ec == std::errc::invalid_argument || (ec == std::errc() && end != s.data() + s.size())) {
    return DataLossError(std::string("the object store sent a bad ") + what + " '" + Shown(s) + "'");
  }
  if (ec == std::errc::result_out_of_range || n > max) {
    return DataLossError(std::string("the object store sent a ") + what + " of '" + Shown(s) + "', more than " +
                         std::to_string(max));
  }
  return n;
}

}  // namespace

StatusOr<StatusLine> ParseStatusLine(std::string_view line) {
  // HTTP/1.x SP 3DIGIT [SP reason]
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || (line[7] != '0' && line[7] != '1') || line[8] != ' ' ||
      (line.size() > 12 && line[12] != ' ')) {
    return DataLossError("not an HTTP response: '" + Shown(line) + "'");
  }
  int code = 0;
  for (char c : line.substr(9, 3)) {
    if (c < '0' || c > '9') return DataLossError("not an HTTP status code in '" + Shown(line) + "'");
    code = code * 10 + (c - '0');
  }
  if (code < 100 || code > 599) return DataLossError("HTTP status " + std::to_string(code) + " is out of range");
  return StatusLine{code, line[7] == '1'};
}

StatusOr<std::pair<std::string, std::string>> ParseHeaderLine(std::string_view line) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return DataLossError("not an HTTP header line: '" + Shown(line) + "'");
  }
  std::string_view name = line.substr(0, colon);
  for (char c : name) {
    if (!IsTokenChar(c)) return DataLossError("bad HTTP header name in '" + Shown(line) + "'");
  }
  return std::make_pair(std::string(name), std::string(TrimBlanks(line.substr(colon + 1))));
}

StatusOr<uint64_t> ParseContentLength(std::string_view value, uint64_t max) {
  return BoundedNumber(TrimBlanks(value), 10, max, "Content-Length");
}

StatusOr<uint64_t> ParseChunkSize(std::string_view line) {
  return BoundedNumber(TrimBlanks(line.substr(0, line.find(';'))), 16, kMaxBodyBytes, "chunk size");
}

}  // namespace tusk::s3
