# Tusk: build, test, bench and demo entry points. See README.md.
SHELL := /bin/bash
BUILD_DIR ?= build
JOBS ?= 2
BENCH ?=
# The S3-compatible server the backup tests run on loopback (from npm).
S3_SERVER_DIR ?= .deps/s3-server

# Every Debian package the project needs to build, test and demo.
DEB_PACKAGES := \
	g++ cmake ninja-build ccache pkg-config git \
	libgrpc++-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev \
	catch2 libcpp-httplib-dev nlohmann-json3-dev libspdlog-dev libfmt-dev \
	libboost-dev libboost-system-dev libssl-dev libpq-dev libyaml-dev \
	zlib1g-dev libzstd-dev liblz4-dev libbz2-dev \
	postgresql-15 postgresql-client-15 pgbouncer \
	python3 python3-kubernetes python3-yaml barman-cli-cloud \
	iproute2 iptables util-linux procps psmisc openssl curl ca-certificates nodejs

.PHONY: all deps build test unit bench demo demo-down sanitize tsan clean

all: build

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${db:Status-Status}\n' $$p 2>/dev/null | grep -qx installed || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@command -v npm >/dev/null || apt-get install -y -qq --no-install-recommends npm
	@[ -f $(S3_SERVER_DIR)/node_modules/@20minutes/s3rver/package.json ] || { \
		echo "installing the loopback S3 test server (npm @20minutes/s3rver)"; \
		npm install --prefix $(S3_SERVER_DIR) --no-audit --no-fund --silent @20minutes/s3rver@5.0.0; }
	@command -v kubectl >/dev/null || echo "note: kubectl (1.32+) is not on PATH; the localkube conformance tests will be skipped" >&2

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Unit tests carry a high COST so CTest schedules them first; one CTest run
# covers every layer so its summary line is the last thing printed.
test: build
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 600

unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure -L unit

# Figures go to stdout as JSON lines; the build's chatter goes to stderr.
bench:
	@$(MAKE) --no-print-directory build >&2
	@BUILD_DIR=$(BUILD_DIR) BENCH="$(BENCH)" test/bench/run

# cluster-example on localkube (3 nodes, as root); tools/demo.py says how to
# connect once psql through the -rw Service answers. demo-down checks that
# nothing of it is left.
demo: build
	@BUILD_DIR=$(BUILD_DIR) python3 tools/demo.py up

demo-down:
	@BUILD_DIR=$(BUILD_DIR) python3 tools/demo.py down

# AddressSanitizer + UBSan over the unit and integration tests, and
# ThreadSanitizer over the unit tests of the threaded modules, each in its own
# build directory (a full build each: run before a release, not in CI).
sanitize:
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTUSK_SANITIZE=address,undefined
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		ctest --output-on-failure -L 'unit|integration'

tsan:
	cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTUSK_SANITIZE=thread
	cmake --build build-tsan -j $(JOBS) --target tusk_common_k8s_test tusk_instance_test tusk_operator_instance_test tusk_operator_cluster_test
	cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure \
		-R '^(tusk_common_k8s_test|tusk_instance_test|tusk_operator_instance_test|tusk_operator_cluster_test)'

clean:
	rm -rf $(BUILD_DIR) build-asan build-tsan
