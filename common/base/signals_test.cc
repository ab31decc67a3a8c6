#include "common/base/signals.h"

#include <pthread.h>

#include <catch2/catch.hpp>

namespace tusk {
namespace {

TEST_CASE("signal names parse in every spelling an operator types") {
  CHECK(*ParseSignal("TERM") == SIGTERM);
  CHECK(*ParseSignal("SIGKILL") == SIGKILL);
  CHECK(*ParseSignal("sigquit") == SIGQUIT);
  CHECK(*ParseSignal("9") == 9);
  CHECK(ParseSignal("SIGNOPE").status().code() == StatusCode::kInvalidArgument);
  CHECK(ParseSignal("0").status().code() == StatusCode::kInvalidArgument);
  CHECK(ParseSignal("").status().code() == StatusCode::kInvalidArgument);
  CHECK(SignalName(SIGINT) == "SIGINT");
  CHECK(SignalName(40) == "SIG40");
}

TEST_CASE("a blocked signal is read from the signalfd instead of killing the process") {
  auto sfd = SignalFd::Create({SIGUSR1, SIGUSR2});
  REQUIRE(sfd.ok());
  CHECK_FALSE(sfd->Read().has_value());
  REQUIRE(pthread_kill(pthread_self(), SIGUSR2) == 0);
  auto got = sfd->Wait(5000);
  REQUIRE(got.has_value());
  CHECK(*got == SIGUSR2);
  CHECK_FALSE(sfd->Wait(0).has_value());
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

}  // namespace
}  // namespace tusk
