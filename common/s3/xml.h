// Just enough XML for S3's replies (ListObjectsV2, errors, multipart): S3
// documents are flat, machine-written and entity-escaped, so element text is
// found by tag name rather than by a general parser.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tusk::s3 {

// The unescaped text of every <tag>...</tag> in `doc`, in order.
std::vector<std::string> XmlAll(std::string_view doc, std::string_view tag);
// The raw inner XML of every <tag>...</tag> (for nested blocks like <Contents>).
std::vector<std::string_view> XmlBlocks(std::string_view doc, std::string_view tag);
std::optional<std::string> XmlFirst(std::string_view doc, std::string_view tag);
std::string XmlUnescape(std::string_view s);
std::string XmlEscape(std::string_view s);
// The name of the document's root element ("Error", "ListBucketResult", ...).
std::string XmlRoot(std::string_view doc);

}  // namespace tusk::s3
