#include "common/tls/random.h"

#include <sys/random.h>

#include <cerrno>

namespace tusk::tls {

Status SystemRandom::Fill(uint8_t* out, size_t n) {
  size_t done = 0;
  // getrandom returns at most 32 MiB per call and can be interrupted by a
  // signal: loop until filled; each pass makes progress or fails.
  while (done < n) {
    ssize_t got = ::getrandom(out + done, n - done, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("getrandom", errno);
    }
    done += static_cast<size_t>(got);
  }
  return OkStatus();
}

}  // namespace tusk::tls
