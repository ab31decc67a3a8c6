// Finds the top-level members of a JSON object without building a DOM, so a
// watch line `{"type":"ADDED","object":{...5 KB...}}` costs one pass and the
// object text can be stored as is.
#pragma once

#include <string_view>

namespace tusk::k8s {

// The raw text of member `key` of the top-level object in `text`
// (e.g. `"ADDED"` with its quotes, or `{...}`); empty if absent or malformed.
std::string_view TopLevelMember(std::string_view text, std::string_view key);

// The decoded value of a top-level string member (escapes other than \" and
// \\ are not expected in the members this is used for and are kept verbatim).
std::string_view UnquotedMember(std::string_view text, std::string_view key);

}  // namespace tusk::k8s
