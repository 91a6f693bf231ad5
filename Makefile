# Vanity — top-level entry points. `make help` lists them.

SWIFT      ?= swift
CONFIG     ?= Config/system.toml
SWIFTFLAGS ?=
PREFIX     ?= /usr/local

.PHONY: help deps build install generate check layout test bench bench-qemu bench-kernel bench-channels bench-memcpy bench-reload bench-echo bench-echo-work sim qemu-aarch64 qemu-aarch64-gdb qemu-riscv64 qemu-x86_64 clean

help:
	@echo "make deps          install the Debian packages Vanity needs (Scripts/setup.sh)"
	@echo "make install       build vanity-build (release) and install it with the platforms, kernel and shard libraries into $(PREFIX) (PREFIX=...)"
	@echo "make sim           build $(CONFIG) for the hosted simulator and run it"
	@echo "make qemu-aarch64  build $(CONFIG) and boot it under QEMU (aarch64 virt)"
	@echo "make qemu-aarch64-gdb  the same, halted, waiting for GDB on :1234 (docs/debugging.md)"
	@echo "make qemu-riscv64  build $(CONFIG) and boot it under QEMU (riscv64 virt)"
	@echo "make qemu-x86_64   build $(CONFIG) and boot it under QEMU (x86_64 q35 PC)"
	@echo "make generate      check $(CONFIG) and generate sources for every platform into build/"
	@echo "make check         validate $(CONFIG) and print a summary"
	@echo "make layout        print the demo's memory map"
	@echo "make test          run the whole test suite (what CI runs)"
	@echo "make bench         run the code-generation benchmark (release build)"
	@echo "make bench-qemu    boot the demo repeatedly: boot time, throughput, kernel entries, kernel size"
	@echo "make bench-kernel  instructions per kernel path (callgrind)"
	@echo "make bench-channels  channel throughput and latency against boost::lockfree::spsc_queue"
	@echo "make bench-memcpy  memcpy in a shard: the C library against a byte loop (simulator and boards)"
	@echo "make bench-reload  hot reload against a full rebuild and reboot (simulator, QEMU)"
	@echo "make bench-echo    UDP echo rate, latency and kernel entries per datagram against a frame-level reflector (QEMU, sim)"
	@echo "make bench-echo-work  instructions per echoed datagram, all shards and the kernel (callgrind, sim)"

deps:
	@Scripts/setup.sh

build: deps
	$(SWIFT) build $(SWIFTFLAGS)

install: deps
	Scripts/install.sh --prefix "$(PREFIX)"

generate: deps
	$(SWIFT) run $(SWIFTFLAGS) vanity-build generate --config $(CONFIG)

check: deps
	$(SWIFT) run $(SWIFTFLAGS) vanity-build check --config $(CONFIG)

layout: deps
	$(SWIFT) run $(SWIFTFLAGS) vanity-build layout --config $(CONFIG) --platform aarch64-virt

test: deps
	SWIFT='$(SWIFT)' SWIFTFLAGS='$(SWIFTFLAGS)' Scripts/test.sh

bench: deps
	$(SWIFT) run -c release vanity-bench

bench-qemu: deps
	Benchmarks/qemu-bench.sh

bench-kernel: deps
	Benchmarks/kernel-path.sh

bench-channels: deps
	Benchmarks/channel-bench.sh

bench-memcpy: deps
	Benchmarks/memcpy-bench.sh

bench-reload: deps
	Benchmarks/reload-bench.py

bench-echo: deps
	Benchmarks/echo-bench.py

bench-echo-work: deps
	Benchmarks/echo-work.py

sim: deps
	$(SWIFT) run $(SWIFTFLAGS) vanity-build run --config $(CONFIG) --platform sim

qemu-aarch64: deps
	$(SWIFT) run $(SWIFTFLAGS) vanity-build run --config $(CONFIG) --platform aarch64-virt

qemu-riscv64: deps
	$(SWIFT) run $(SWIFTFLAGS) vanity-build run --config $(CONFIG) --platform riscv64-virt

qemu-aarch64-gdb: deps
	$(SWIFT) run $(SWIFTFLAGS) vanity-build run --config $(CONFIG) --platform aarch64-virt --gdb

qemu-x86_64: deps
	$(SWIFT) run $(SWIFTFLAGS) vanity-build run --config $(CONFIG) --platform x86_64-pc

clean:
	rm -rf build Config/build .build
