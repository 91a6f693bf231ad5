# Vanity — top-level entry points. `make help` lists them.

SWIFT      ?= swift
CONFIG     ?= Config/system.toml
SWIFTFLAGS ?=

.PHONY: help deps build generate check layout test bench qemu-aarch64 qemu-riscv64 qemu-x86_64 clean

help:
	@echo "make deps          install the Debian packages Vanity needs (Scripts/setup.sh)"
	@echo "make generate      check $(CONFIG) and generate sources for every platform into build/"
	@echo "make check         validate $(CONFIG) and print a summary"
	@echo "make layout        print the demo's memory map"
	@echo "make test          run the whole test suite (what CI runs)"
	@echo "make bench         run the code-generation benchmark (release build)"
	@echo "make qemu-aarch64  boot the demo under QEMU (arrives with the kernel)"

deps:
	@Scripts/setup.sh

build: deps
	$(SWIFT) build $(SWIFTFLAGS)

generate: deps
	$(SWIFT) run $(SWIFTFLAGS) vanity-build --config $(CONFIG)

check: deps
	$(SWIFT) run $(SWIFTFLAGS) vanity-build check --config $(CONFIG)

layout: deps
	$(SWIFT) run $(SWIFTFLAGS) vanity-build layout --config $(CONFIG) --platform aarch64-virt

test: deps
	$(SWIFT) test $(SWIFTFLAGS)

bench: deps
	$(SWIFT) run -c release vanity-bench

qemu-aarch64 qemu-riscv64 qemu-x86_64: generate
	@echo "$@: the kernel and shard builds are not in this tree yet (issues 3 and 5);" >&2
	@echo "    the generated sources for every platform are under build/." >&2
	@exit 2

clean:
	rm -rf build .build
