# Thin wrapper over Meson.  `make run` is the quickstart, `make test` runs
# everything CI runs.  PREFIX and DESTDIR are honoured by `make install`.
BUILD   ?= build
ASAN    ?= build-asan
FUZZ    ?= build-fuzz
PREFIX  ?= /usr/local
PYTHON  ?= /usr/bin/python3

.PHONY: bench all deps build run stop test unit asan system install clean mutants untested-errors

all: build

deps:
	@./utils/install-deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) --prefix=$(PREFIX)

build: deps $(BUILD)/build.ninja
	@ninja -C $(BUILD)

run: build
	@./utils/quickstart.sh $(BUILD)

stop:
	@./utils/quickstart.sh $(BUILD) stop

# A `make run` server is stopped first: the local daos_server commands under
# test refuse to run next to another daos_server, as upstream's do.
test: build
	@./utils/quickstart.sh $(BUILD) stop
	@$(PYTHON) tests/run_all.py --build $(BUILD) --asan $(ASAN) --fuzz $(FUZZ)

unit: build
	meson test -C $(BUILD) --print-errorlogs

system: build
	$(PYTHON) -m pytest -q tests/system

bench: build
	DAOS_BUILD_DIR=$(BUILD) $(PYTHON) tests/bench/bench_scan.py
	DAOS_BUILD_DIR=$(BUILD) $(PYTHON) tests/bench/bench_system.py
	DAOS_BUILD_DIR=$(BUILD) $(PYTHON) tests/bench/bench_attack.py

# Deliberate bugs in security and validation code, each against the tests
# meant to catch it (tests/mutants/run_mutants.py); not part of `make test`.
mutants: build
	$(PYTHON) tests/mutants/run_mutants.py

# User-facing error messages that no test makes happen (coverage build, whole suite).
untested-errors: build
	$(PYTHON) tests/coverage/untested_errors.py

install: build
	meson configure $(BUILD) --prefix=$(PREFIX)
	meson install -C $(BUILD) --no-rebuild --quiet

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ) build-cov
