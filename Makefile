# Front door. `make` builds, `make test` builds and runs every test through ctest; every user-facing
# target installs missing Debian packages first (tools/deps.sh). The real build is CMake.
BUILD      ?= build
BUILD_TYPE ?= Release
CMAKE_ARGS ?=
JOBS       ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: all deps configure build test test-asan fuzz memcheck bench-coco bench-cityscapes ablation-avatars report perf fixtures clean

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

# Fuzz every parser of outside input (tests/fuzz/, clang + libFuzzer + ASan + UBSan, in build-fuzz/)
# for FUZZ_SECONDS each; findings land in build-fuzz/fuzz-artifacts/<target>/ (tests/fuzz/README.md).
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
fuzz:
	@sh tools/deps_fuzz.sh
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DAK_FUZZ=ON -DAK_TESTS=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_all -- --no-print-directory
	@sh tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The loader and evaluator tests (labels datasets, eval) under Valgrind memcheck.
memcheck: build
	@sh tools/deps_fuzz.sh memcheck
	@sh tools/memcheck.sh $(BUILD)

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
	rm -rf $(BUILD) build-asan build-fuzz
