#!/usr/bin/env python3
"""UDP echo through a Vanity system against a reference, measured in the same run.

For each platform, two systems boot under QEMU (or in the simulator, `sim`,
whose network device is libslirp, QEMU's user networking as a library) with
the same driver, rings and networking path (`vanity-build run` forwards a
host UDP port):
  reference  Benchmarks/echo/reflect: net-reflect sends each datagram back
             at the frame level (headers swapped): no TCP/IP stack;
  vanity     Config/echo: lwIP and the echo shard (what a user runs).
Measured from the host, for 64-byte and 1,472-byte datagrams:
  rate       datagrams echoed per second, WINDOW (64) in flight, COUNT of them;
  latency    round trips one at a time (PINGS of them): p50 and p99;
  entries    kernel entries per echoed datagram during the rate burst: the
             per-core counters of `vanity-build ps` (the debug link's STATS)
             sampled before and after it; all cores, the kernel's core
             (0) left out, and per shard core, with the system calls among
             them (the rest are interrupts and faults).
Each system's figure is printed beside the reference's and as a ratio.
Results go into docs/performance.md by hand.

Usage: Benchmarks/echo-bench.py [PLATFORM...]   (default: aarch64-virt riscv64-virt x86_64-pc sim)
       COUNT=20000 PINGS=2000 WINDOW=64 (environment)
"""
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import Console, udp_burst

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = os.path.join(ROOT, ".build", "release", "vanity-build")
COUNT = int(os.environ.get("COUNT", "20000"))
PINGS = int(os.environ.get("PINGS", "2000"))
WINDOW = int(os.environ.get("WINDOW", "64"))
SYSTEMS = [("reference", "Benchmarks/echo/reflect/system.toml", r"net-reflect: reflecting"),
           ("vanity", "Config/echo/system.toml", r"echo: listening on")]


def rate(port, size):
    """Echoes per second with WINDOW datagrams in flight; lost ones time out after 1 s."""
    got, elapsed = udp_burst(port, size, COUNT, WINDOW, timeout=1.0)
    return got / elapsed, got


def latency(port, size):
    """p50 and p99 of one-at-a-time round trips, in microseconds."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("127.0.0.1", port))
    s.settimeout(1.0)
    payload = bytes(size)
    times = []
    for _ in range(PINGS):
        t0 = time.perf_counter()
        s.send(payload)
        try:
            s.recv(2048)
        except socket.timeout:
            continue
        times.append((time.perf_counter() - t0) * 1e6)
    s.close()
    times.sort()
    return times[len(times) // 2], times[min(len(times) - 1, len(times) * 99 // 100)]


CORE_LINE = re.compile(r"^\s*(\d+)\s+(.+?)\s+\d+%\s+(\d+)\s+(\d+)(?:\s+\d+)?\s*$")  # core, runs, busy, entries, syscalls[, denied]


def stats(config, platform, out):
    """The core table of `vanity-build ps`: {core: (runs, kernel entries, syscalls)}."""
    text = subprocess.run([TOOL, "ps", "--config", config, "--platform", platform, "--out", out], cwd=ROOT,
                          capture_output=True, text=True, timeout=60).stdout
    table = text.split("core  runs", 1)[1].splitlines()[1:]
    cores = {}
    for line in table:
        m = CORE_LINE.match(line)
        if m:
            cores[int(m.group(1))] = (m.group(2).strip(), int(m.group(3)), int(m.group(4)))
    if not cores:
        raise RuntimeError("no core table in `vanity-build ps`:\n" + text)
    return cores


def entries(before, after, echoed):
    """Per echoed datagram: {runs: (entries, syscalls)} for each shard core, and 'all shard cores'."""
    per = {}
    total_e = total_s = 0
    for core, (runs, e1, s1) in after.items():
        _, e0, s0 = before[core]
        if runs == "(kernel)":
            per["kernel core"] = ((e1 - e0) / echoed, (s1 - s0) / echoed)
            continue
        total_e += e1 - e0
        total_s += s1 - s0
        per[runs] = ((e1 - e0) / echoed, (s1 - s0) / echoed)
    per["all shard cores"] = (total_e / echoed, total_s / echoed)
    return per


def measure(platform, config, ready):
    out = tempfile.mkdtemp(prefix="vanity-echo-bench-")
    proc = subprocess.Popen([TOOL, "run", "--config", config, "--platform", platform, "--out", out, "--timeout", "900"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        console = Console(proc)
        _, m = console.match(r"udp 127\.0\.0\.1:(\d+) reaches port 7", timeout=600)
        port = int(m.group(1))
        console.wait_for(ready, timeout=300)
        rate(port, 64)  # warm-up: ARP, caches, QEMU's translation
        result = {}
        for size in (64, 1472):
            before = stats(config, platform, out)
            r, echoed = rate(port, size)
            after = stats(config, platform, out)
            result[size] = (r,) + latency(port, size) + (entries(before, after, max(echoed, 1)), echoed)
        return result
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(out, ignore_errors=True)


def main():
    platforms = sys.argv[1:] or ["aarch64-virt", "riscv64-virt", "x86_64-pc", "sim"]
    subprocess.run(["swift", "build", "-c", "release", "--product", "vanity-build"], cwd=ROOT, check=True, capture_output=True)
    print("count %d, window %d, pings %d" % (COUNT, WINDOW, PINGS))
    print("platform        size   reference: dgram/s   p50 us   p99 us   vanity: dgram/s   p50 us   p99 us   rate ratio   p50 ratio")
    for p in platforms:
        r = {name: measure(p, config, ready) for name, config, ready in SYSTEMS}
        for size in (64, 1472):
            ref, van = r["reference"][size], r["vanity"][size]
            print("%-14s  %4d   %18.0f   %6.0f   %6.0f   %15.0f   %6.0f   %6.0f   %10.2f   %9.2f"
                  % (p, size, ref[0], ref[1], ref[2], van[0], van[1], van[2], van[0] / ref[0], van[1] / ref[1]))
        for size in (64, 1472):
            for name in ("reference", "vanity"):
                per, echoed = r[name][size][3], r[name][size][4]
                print("  %s %d B, kernel entries (system calls) per echoed datagram over %d: %s" % (
                    name, size, echoed, ", ".join("%s %.4f (%.4f)" % (k, e, sc) for k, (e, sc) in per.items())))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
