// The /etc files a pod's image would bring: passwd and group that know the
// image's users and the pod's runAsUser/fsGroup (PostgreSQL images know
// uid 26), and the hostname. Pure text in, text out.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "test/localkube/runtime/image_table.h"

namespace tusk::localkube {

// The host's passwd with the image users in place of host entries of the
// same name or uid, plus "uid<N>" for any `uids` still unknown.
std::string RenderPasswd(const std::string& host_passwd, const std::vector<ImageUser>& users,
                         const std::vector<int64_t>& uids);
// Likewise for groups: image users' primary groups and `gids`.
std::string RenderGroup(const std::string& host_group, const std::vector<ImageUser>& users,
                        const std::vector<int64_t>& gids);

}  // namespace tusk::localkube
