#!/usr/bin/env python3
"""Hot reload against a full rebuild and reboot, measured in the same run.

For each platform, on a copy of Tests/Fixtures/systems/reload:
  full     a clean build folder: build everything and boot, until the sink
           prints the transformer's first message (what you wait for without
           reload);
  reload   `vanity-build reload` after editing the transformer: rebuild that
           shard, send it, swap it, until the sink sees the new version;
  swap     the same with the shard already built (`vanity-build build` first):
           the reload mechanism alone, command to the new code's first message.
Each is repeated (RUNS, default 3) and the median printed. Results go into
docs/performance.md by hand.

Usage: Benchmarks/reload-bench.py [PLATFORM...]   (default: sim aarch64-virt riscv64-virt)
"""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import Console

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = os.path.join(ROOT, ".build", "release", "vanity-build")  # a release build, like qemu-bench.sh
RUNS = int(os.environ.get("RUNS", "3"))


def set_version(system, v):
    path = os.path.join(system, "Shards", "transformer", "main.swift")
    text = open(path).read()
    text = re.sub(r"let version: UInt32 = \d+", "let version: UInt32 = %d" % v, text)
    open(path, "w").write(text)


def tool(*args):
    r = subprocess.run([TOOL, *args], cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("vanity-build %s failed:\n%s%s" % (" ".join(args), r.stdout, r.stderr))
    return r.stdout


def one_run(platform):
    work = tempfile.mkdtemp(prefix="vanity-reload-bench-")
    system = os.path.join(work, "reload")
    shutil.copytree(os.path.join(ROOT, "Tests", "Fixtures", "systems", "reload"), system)
    config = os.path.join(system, "system.toml")
    out = os.path.join(work, "out")
    link = ["--config", config, "--platform", platform, "--out", out]
    try:
        set_version(system, 1)
        t0 = time.monotonic()
        proc = subprocess.Popen([TOOL, "run", *link, "--timeout", "300"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        console = Console(proc)
        full = console.wait_for(r"sink: transformer version 1 generation 1 from message 0") - t0
        console.wait_for(r"kernel core watching")
        time.sleep(0.5)

        set_version(system, 2)
        t0 = time.monotonic()
        said = tool("reload", *link, "--shard", "transformer")
        with_build = console.wait_for(r"sink: transformer version 2 generation 2 from") - t0

        set_version(system, 3)
        tool("build", "--config", config, "--platform", platform, "--out", out)
        t0 = time.monotonic()
        said = tool("reload", *link, "--shard", "transformer")
        swap = console.wait_for(r"sink: transformer version 3 generation 3 from") - t0
        m = re.search(r"transfer and swap ([0-9.]+) ms", said)
        transfer = float(m.group(1)) / 1000 if m else float("nan")

        tool("hold", *link, "--shard", "producer")
        proc.wait(timeout=60)
        return full, with_build, swap, transfer
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    platforms = sys.argv[1:] or ["sim", "aarch64-virt", "riscv64-virt"]
    subprocess.run(["swift", "build", "-c", "release", "--product", "vanity-build"], cwd=ROOT, check=True, capture_output=True)
    print("platform        full rebuild+boot   reload (with build)   reload (built)   of which transfer+swap   built/full")
    for p in platforms:
        runs = [one_run(p) for _ in range(RUNS)]
        med = [statistics.median(r[i] for r in runs) for i in range(4)]
        print("%-14s  %14.0f ms   %16.0f ms   %11.0f ms   %19.0f ms   %8.2f" % (p, med[0] * 1000, med[1] * 1000, med[2] * 1000, med[3] * 1000, med[2] / med[0]))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
