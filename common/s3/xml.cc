#include "common/s3/xml.h"

#include <charconv>

namespace tusk::s3 {
namespace {

// "#38" or "#x26" -> the code point; -1 when it is not a valid one, and the
// entity is then kept as written.
long CharacterReference(std::string_view ent) {
  if (ent.size() < 2 || ent[0] != '#') return -1;
  const bool hex = ent[1] == 'x' || ent[1] == 'X';
  std::string_view digits = ent.substr(hex ? 2 : 1);
  long code = -1;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), code, hex ? 16 : 10);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) return -1;
  return code >= 0 && code <= 0x10FFFF ? code : -1;
}

}  // namespace

std::vector<std::string_view> XmlBlocks(std::string_view doc, std::string_view tag) {
  std::vector<std::string_view> out;
  const std::string open = "<" + std::string(tag);
  const std::string close = "</" + std::string(tag) + ">";
  size_t pos = 0;
  while (true) {
    size_t start = doc.find(open, pos);
    if (start == std::string_view::npos) break;
    size_t after = start + open.size();
    if (after >= doc.size()) break;
    // "<Key" must not match "<KeyCount".
    if (doc[after] != '>' && doc[after] != ' ' && doc[after] != '/') {
      pos = after;
      continue;
    }
    size_t gt = doc.find('>', after);
    if (gt == std::string_view::npos) break;
    if (doc[gt - 1] == '/') {  // <Tag/>
      out.emplace_back();
      pos = gt + 1;
      continue;
    }
    size_t end = doc.find(close, gt + 1);
    if (end == std::string_view::npos) break;
    out.push_back(doc.substr(gt + 1, end - gt - 1));
    pos = end + close.size();
  }
  return out;
}

std::vector<std::string> XmlAll(std::string_view doc, std::string_view tag) {
  std::vector<std::string> out;
  for (auto b : XmlBlocks(doc, tag)) out.push_back(XmlUnescape(b));
  return out;
}

std::optional<std::string> XmlFirst(std::string_view doc, std::string_view tag) {
  auto all = XmlBlocks(doc, tag);
  if (all.empty()) return std::nullopt;
  return XmlUnescape(all.front());
}

std::string XmlUnescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out.push_back(s[i]);
      continue;
    }
    size_t semi = s.find(';', i);
    if (semi == std::string_view::npos) {
      out.push_back('&');
      continue;
    }
    std::string_view ent = s.substr(i + 1, semi - i - 1);
    if (ent == "amp") out.push_back('&');
    else if (ent == "lt") out.push_back('<');
    else if (ent == "gt") out.push_back('>');
    else if (ent == "quot") out.push_back('"');
    else if (ent == "apos") out.push_back('\'');
    else if (long code = CharacterReference(ent); code >= 0) {
      if (code < 0x80) {
        out.push_back(static_cast<char>(code));
      } else if (code < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (code >> 6)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
      } else if (code < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (code >> 12)));
        out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
      } else {
        out.push_back(static_cast<char>(0xF0 | (code >> 18)));
        out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
      }
    } else {
      out.append(s.substr(i, semi - i + 1));
    }
    i = semi;
  }
  return out;
}

std::string XmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string XmlRoot(std::string_view doc) {
  size_t pos = 0;
  while ((pos = doc.find('<', pos)) != std::string_view::npos) {
    if (pos + 1 < doc.size() && (doc[pos + 1] == '?' || doc[pos + 1] == '!')) {
      ++pos;
      continue;
    }
    size_t end = doc.find_first_of(" >/", pos + 1);
    if (end == std::string_view::npos) return "";
    return std::string(doc.substr(pos + 1, end - pos - 1));
  }
  return "";
}

}  // namespace tusk::s3
