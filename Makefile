# The two commands of the README's quick start, plus the longer targets.
#   make demo   install what is missing, build, run the default comparison and the DDIO ring sweep, plot them
#   make test   install what is missing, build (also with ASan+UBSan), run every test
BUILD      ?= build
BUILD_SAN  ?= build-san
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
DEMO_OUT   ?= results/demo
DEBIAN_PKGS = build-essential cmake pkg-config libsimgrid-dev check libjansson-dev gnuplot-nox python3 python3-simpy parallel valgrind
# Only `make fuzz` needs these (clang and its libFuzzer runtime); `make test` replays
# the fuzz corpus with a gcc-built driver instead.
FUZZ_PKGS   = clang libclang-rt-dev
BUILD_FUZZ  ?= build-fuzz
FUZZ_SECONDS ?= 300

.PHONY: all deps build build-san demo test test-fast bench fuzz docs golden validation clean

all: build

# Install missing Debian packages when root; otherwise print the exact command and stop.
deps:
	@missing=""; for p in $(DEBIAN_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "missing packages; run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

$(BUILD)/Makefile: deps CMakeLists.txt
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

build-san: deps
	cmake -S . -B $(BUILD_SAN) -DCMAKE_BUILD_TYPE=Debug -DVIOSIM_SANITIZE=ON >/dev/null
	cmake --build $(BUILD_SAN) -j $(JOBS)

demo: build
	$(BUILD)/viosim run -o $(DEMO_OUT) -j $(JOBS)
	$(BUILD)/viosim sweep scenarios/ddio-ring.sweep.json -o $(DEMO_OUT)/ddio-sweep -j $(JOBS)
	$(BUILD)/viosim plot $(DEMO_OUT)
	$(BUILD)/viosim plot $(DEMO_OUT)/ddio-sweep

# Unit and scenario tests, first in the optimised build, then under ASan + UBSan.
test: build build-san
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	cd $(BUILD_SAN) && ASAN_OPTIONS=detect_leaks=1 VIOSIM_CONTEXTS=thread ctest --output-on-failure -j $(JOBS)

# docs/validation.md and docs/figures/validation-*.png from scratch (the tests also
# run inside `make test`, as ctest -L validation).
validation: build
	scripts/validate.sh

# The timed workloads, then the instruction counts (callgrind) of issue 14's exact-model target.
bench: build
	$(BUILD)/bench/viosim-bench
	bench/instructions.sh $(BUILD)

# Coverage-guided fuzzing (libFuzzer, ASan + UBSan) of the loader and of whole runs,
# FUZZ_SECONDS per target; new coverage is merged into tests/fuzz/corpus, crashes
# and hangs land in tests/fuzz/findings (see tests/fuzz/README.md).
fuzz:
	@$(MAKE) --no-print-directory deps DEBIAN_PKGS="$(DEBIAN_PKGS) $(FUZZ_PKGS)"
	CC=clang cmake -S . -B $(BUILD_FUZZ) -DVIOSIM_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD_FUZZ) -j $(JOBS) --target fuzz_load fuzz_run
	tests/fuzz/run.sh $(BUILD_FUZZ) $(FUZZ_SECONDS)

# Regenerate tests/golden/*.json (a short run of every shipped scenario) after a
# deliberate change of the model; the commit says why the numbers moved.
golden: build
	mkdir -p tests/golden
	for f in scenarios/*.json; do \
	  case $$f in *.sweep.json) continue;; esac; \
	  $(BUILD)/tests/golden $$f tests/golden/$$(basename $$f) sequential --write || exit 1; \
	done
	cd $(BUILD) && ctest -R '^golden\.' -j $(JOBS)

docs: build
	$(BUILD)/viosim list --markdown > docs/scenario-reference.md

clean:
	rm -rf $(BUILD) $(BUILD_SAN) $(BUILD_FUZZ)
