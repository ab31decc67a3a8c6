// The probe state machine: when a probe is due and what its consecutive
// results mean (Kubernetes' initialDelay/period/success and failure
// thresholds). Pure: the worker runs the probe and feeds the result in.
#pragma once

#include "common/base/clock.h"
#include "test/localkube/runtime/pod_spec.h"

namespace tusk::localkube {

enum class ProbeKind { kStartup, kReadiness, kLiveness };
enum class ProbeVerdict { kUnknown, kSuccess, kFailure };

class ProbeTracker {
 public:
  // `container_started` is when the container's process started.
  ProbeTracker(ProbeKind kind, ProbeSpec spec, MonoTime container_started);

  MonoTime next_due() const { return next_due_; }
  bool Due(MonoTime now) const { return now >= next_due_; }
  // Records one probe result taken at `now` and schedules the next one.
  // Returns true when the verdict changed.
  bool Record(bool success, MonoTime now);
  ProbeVerdict verdict() const { return verdict_; }
  const ProbeSpec& spec() const { return spec_; }
  ProbeKind kind() const { return kind_; }

 private:
  ProbeKind kind_;
  ProbeSpec spec_;
  MonoTime next_due_;
  int successes_ = 0;
  int failures_ = 0;
  ProbeVerdict verdict_;
};

// What a probe reports before its first verdict: a liveness probe counts the
// container alive, a readiness probe not ready, a startup probe not started.
ProbeVerdict InitialVerdict(ProbeKind kind);

}  // namespace tusk::localkube
