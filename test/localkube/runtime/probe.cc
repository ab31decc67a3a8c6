#include "test/localkube/runtime/probe.h"

namespace tusk::localkube {

ProbeVerdict InitialVerdict(ProbeKind kind) {
  return kind == ProbeKind::kLiveness ? ProbeVerdict::kSuccess : ProbeVerdict::kUnknown;
}

ProbeTracker::ProbeTracker(ProbeKind kind, ProbeSpec spec, MonoTime container_started)
    : kind_(kind),
      spec_(std::move(spec)),
      next_due_(container_started + std::chrono::seconds(spec_.initial_delay_seconds)),
      verdict_(InitialVerdict(kind)) {}

bool ProbeTracker::Record(bool success, MonoTime now) {
  next_due_ = now + std::chrono::seconds(spec_.period_seconds);
  const ProbeVerdict before = verdict_;
  if (success) {
    failures_ = 0;
    if (++successes_ >= spec_.success_threshold) verdict_ = ProbeVerdict::kSuccess;
  } else {
    successes_ = 0;
    if (++failures_ >= spec_.failure_threshold) verdict_ = ProbeVerdict::kFailure;
  }
  return verdict_ != before;
}

}  // namespace tusk::localkube
