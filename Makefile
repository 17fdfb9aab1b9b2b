# Front door. `make` builds, `make test` builds and runs every test through ctest; every user-facing
# target installs missing Debian packages first (tools/deps.sh). The real build is CMake.
BUILD      ?= build
BUILD_TYPE ?= Release
CMAKE_ARGS ?=
JOBS       ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: all deps configure build test test-asan bench-coco bench-cityscapes ablation-avatars report perf fixtures clean

all: build

deps:
	@sh tools/deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS) >/dev/null || \
	  cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS)

build: configure
	@cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer, in its own build folder.
test-asan:
	@$(MAKE) --no-print-directory test BUILD=build-asan BUILD_TYPE=Debug CMAKE_ARGS="-DAK_SANITIZE=ON $(CMAKE_ARGS)"

perf: build
	@sh bench/perf/run_all.sh $(BUILD)

bench-coco: build
	@sh bench/run_default.sh coco $(BUILD)

bench-cityscapes: build
	@sh bench/run_default.sh cityscapes $(BUILD)

ablation-avatars: build
	@sh bench/run_default.sh ablation $(BUILD)

# Rebuild the reports of every sweep folder under runs/ from its run files.
report: build
	@for d in runs/*/; do [ -f "$$d/results.h5" ] && $(BUILD)/akdbench report "$$d" --format md,csv,tex,png,svg; done; true

# Regenerate the PyTorch reference fixtures under tests/fixtures (needs python3-torch).
fixtures:
	@AK_WITH_TORCH=1 sh tools/deps.sh
	@/usr/bin/python3 tools/make_fixtures.py

clean:
	rm -rf $(BUILD) build-asan
