#!/usr/bin/env python3
"""Instructions per echoed UDP datagram: every shard and the kernel, counted by
callgrind in the simulator (a benchmark, not a test; docs/performance.md).

The echo system (Config/echo) and its reference (Benchmarks/echo/reflect:
the same driver with net-reflect in place of lwIP) run in the simulator with
the kernel process and every shard process under
`valgrind --tool=callgrind --trace-children=yes`. What is counted:
  kernel   in the kernel process, only inside kernel_syscall and kernel_irq
           (--toggle-collect): the kernel's work on a system call or an
           interrupt, entry to return, including platform_idle inside them
           (a core waiting in `wait`: the host futex loop), which makes the
           kernel's figure noisy (a toggle on platform_idle would also turn
           counting on in the kernel core's own idle: tried, worse). Not
           counted there: the device models
           and libslirp (the "hardware": virtio_mmio.c, virtio_net.c, the
           slirp thread), the simulator's mailbox service around each call,
           the kernel core's own loop (debug link, watchdog);
  shards   in each shard process, everything under vanity_shard_entry (the
           shard's main and all it calls: lwIP, the channel library, picolibc,
           and the simulator runtime's side of a system call: a mailbox
           store and a futex wake/wait, where a board has one trap), not the
           runtime's constructor.
Two runs of the same length LENGTH seconds (from the system's ready line):
one idle, one echoing N datagrams of SIZE bytes (WINDOW in flight). The
figure is (instructions of the loaded run − of the idle run) / datagrams
echoed, per process and in all. Host x86_64 instructions (the simulator's
shards are compiled like x86_64-pc's), not aarch64 or riscv64 ones.
The polling loops (net and echo poll for VANITY_POLL_CYCLES of the cycle
counter after they last saw work, then sleep) cost instructions per unit of
time, so the figure depends on how fast the datagrams come (WINDOW); under
callgrind everything runs ~50× slower.

Usage: Benchmarks/echo-work.py          N=2000 SIZE=64 WINDOW=4 LENGTH=40 (environment)
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from benchlib import Console, udp_burst

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = os.path.join(ROOT, ".build", "release", "vanity-build")
N = int(os.environ.get("N", "2000"))
SIZE = int(os.environ.get("SIZE", "64"))
WINDOW = int(os.environ.get("WINDOW", "4"))
LENGTH = float(os.environ.get("LENGTH", "40"))
SYSTEMS = [("reference", "Benchmarks/echo/reflect/system.toml", r"net-reflect: reflecting", ["net", "reflect"]),
           ("vanity", "Config/echo/system.toml", r"echo: listening on", ["net", "echo"])]


def build(config, out, shards):
    """Builds the system for sim; returns its command line as `vanity-build run` makes it: the kernel, then each shard's executable."""
    subprocess.run([TOOL, "build", "--config", config, "--platform", "sim", "--out", out], cwd=ROOT, check=True,
                   capture_output=True)
    sim = os.path.join(out, "sim")
    argv = []
    # Valgrind cannot read the build's DWARF 5 ("possibly corrupted debuginfo"): stripped copies, symbols kept.
    for name in ["kernel"] + shards:
        dst = os.path.join(out, "stripped-" + name)
        subprocess.run(["objcopy", "--strip-debug", os.path.join(sim, "elf", name), dst], check=True)
        argv.append(dst)
    return argv


def send(port, n):
    return udp_burst(port, SIZE, n, WINDOW, timeout=2.0)[0]


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def run(argv, ready, datagrams, logdir):
    """One run under callgrind: {process label: instructions}, datagrams echoed."""
    port = free_port()
    # VANITY_BENCH_UNCONFINED: no seccomp filter in the shards (Platforms/sim/shard/shard.c), or
    # callgrind could not open its output file at the end and would print nothing.
    env = dict(os.environ, VANITY_SIM_FORWARD="udp:%d:7" % port, VANITY_BENCH_UNCONFINED="1")
    vg = ["valgrind", "--tool=callgrind", "--trace-children=yes", "--toggle-collect=kernel_syscall",
          "--toggle-collect=kernel_irq", "--toggle-collect=vanity_shard_entry",
          "--callgrind-out-file=" + os.path.join(logdir, "cg.%p"), "--log-file=" + os.path.join(logdir, "vg.%p")]
    for f in os.listdir(logdir):
        os.unlink(os.path.join(logdir, f))
    proc = subprocess.Popen(vg + argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        console = Console(proc)
        t0 = console.wait_for(ready, timeout=120)
        echoed = send(port, datagrams) if datagrams else 0
        left = t0 + LENGTH - time.monotonic()
        if left < 0:
            raise RuntimeError("the load took longer than LENGTH (%.0f s): raise LENGTH" % LENGTH)
        time.sleep(left)
        # The shards first (each prints its totals on SIGTERM), then the kernel.
        kids = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        for k in kids:
            os.kill(int(k), signal.SIGTERM)
        time.sleep(5)
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    counts = {}
    for f in os.listdir(logdir):
        if not f.startswith("vg."):
            continue
        text = open(os.path.join(logdir, f), errors="replace").read()
        cmd = re.search(r"Command: (\S+)", text)
        total = re.findall(r"Collected : (\d+)", text)
        if cmd and total:
            counts[os.path.basename(cmd.group(1))] = int(total[-1])
    return counts, echoed


def main():
    subprocess.run(["swift", "build", "-c", "release", "--product", "vanity-build"], cwd=ROOT, check=True, capture_output=True)
    if not shutil.which("valgrind"):
        sys.exit("echo-work: needs valgrind")
    print("callgrind, simulator; %d datagrams of %d bytes, window %d, runs of %.0f s from the ready line" % (N, SIZE, WINDOW, LENGTH))
    for name, config, ready, shards in SYSTEMS:
        out = tempfile.mkdtemp(prefix="vanity-echo-work-")
        logs = tempfile.mkdtemp(prefix="vanity-echo-work-logs-")
        try:
            argv = build(config, out, shards)
            idle, _ = run(argv, ready, 0, logs)
            busy, echoed = run(argv, ready, N, logs)
            print("%s: %d of %d echoed" % (name, echoed, N))
            total = 0
            for k in sorted(busy):
                d = busy[k] - idle.get(k, 0)
                total += d
                print("  %-20s idle %12d  loaded %12d  per datagram %8.0f" % (k, idle.get(k, 0), busy[k], d / max(echoed, 1)))
            print("  %-20s per datagram %8.0f instructions" % ("all", total / max(echoed, 1)))
        finally:
            shutil.rmtree(out, ignore_errors=True)
            shutil.rmtree(logs, ignore_errors=True)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
