#!/usr/bin/env python3
"""Checks an echo server (Config/echo, docs/io.md) from the host.

UDP: sends --count datagrams of random sizes (1..1472 bytes, random
contents, each tagged with its sequence number) with a bounded number in
flight, and checks every echo byte for byte. Lost datagrams are counted;
more than --max-loss of them (a fraction) fails.

TCP: streams --bytes random bytes through one connection while reading the
echo, and checks it byte for byte.

Exit status 0 when everything checked out, 1 on a wrong byte, too many lost
datagrams, a short TCP echo or a timeout. Prints counts and rates.

  Scripts/echo-client.py --udp 127.0.0.1:5007 --count 10000 --tcp 127.0.0.1:5007 --bytes 16777216 --seed 1
"""
import argparse
import os
import random
import select
import socket
import struct
import sys
import threading
import time

UDP_MAX = 1472  # 1500-byte MTU minus IP and UDP headers


def addr(text):
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


def udp_test(target, count, seed, window, timeout, max_loss, duration=None):
    rng = random.Random(seed)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.connect(target)
    sock.setblocking(False)
    sent = {}  # seq -> payload, while in flight
    next_seq = received = wrong = late = 0
    start = time.monotonic()
    last_progress = start

    def payload(seq):
        size = rng.randint(1, UDP_MAX)
        head = struct.pack("<I", seq)[:size]
        return head + rng.randbytes(size - len(head))

    stalled = False
    if duration is not None:  # as many as fit in `duration` seconds
        count = 1 << 62
    while next_seq < count or sent:
        if duration is not None and count > next_seq and time.monotonic() - start >= duration:
            count = next_seq  # stop sending; collect what is in flight
        while next_seq < count and len(sent) < window:
            p = payload(next_seq)
            try:
                sock.send(p)
            except BlockingIOError:
                break
            sent[next_seq] = (p, time.monotonic())
            next_seq += 1
        r, _, _ = select.select([sock], [], [], 0.05)
        now = time.monotonic()
        if r:
            while True:
                try:
                    data = sock.recv(65536)
                except BlockingIOError:
                    break
                except ConnectionRefusedError:  # an ICMP error for an earlier datagram
                    continue
                if len(data) >= 4:
                    seq = struct.unpack("<I", data[:4])[0]
                else:  # a datagram under 4 bytes carries part of the tag only
                    seq = next((s for s, (p, _) in sent.items() if p == data), None)
                entry = sent.pop(seq, None) if seq is not None else None
                if entry is None:
                    late += 1  # a duplicate, or an echo of one given up on
                    continue
                if data != entry[0]:
                    wrong += 1
                    print(f"udp: datagram {seq}: {len(data)} bytes back for {len(entry[0])} sent, contents differ", file=sys.stderr)
                received += 1
                last_progress = now
        # A datagram not back within a second is lost; its place in the window is freed.
        for seq in [s for s, (_, t) in sent.items() if now - t > 1.0]:
            del sent[seq]
        if now - last_progress > timeout and duration is None:
            print(f"udp: nothing echoed for {timeout:.0f} s; giving up", file=sys.stderr)
            stalled = True
            break
    elapsed = time.monotonic() - start
    lost = count - received
    rate = received / elapsed if elapsed else 0
    print(f"udp: {count} sent, {received} echoed, {lost} lost, {wrong} wrong, {late} late in {elapsed:.2f} s ({rate:.0f} datagrams/s)")
    ok = wrong == 0 and lost <= max_loss * count and not stalled
    if lost > max_loss * count:
        print(f"udp: too many lost: {lost} of {count} (allowed {max_loss:.1%})", file=sys.stderr)
    return ok


def tcp_test(target, nbytes, seed, timeout, pace=None):
    data = random.Random(seed ^ 0x5EED).randbytes(nbytes)
    sock = socket.create_connection(target, timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    got = bytearray()
    error = []

    def reader():
        try:
            while len(got) < nbytes:
                b = sock.recv(1 << 20)
                if not b:
                    break
                got.extend(b)
        except OSError as e:
            error.append(e)

    start = time.monotonic()
    t = threading.Thread(target=reader)
    t.start()
    try:
        if pace:  # spread over `pace` seconds, in 4 KiB pieces
            step = 4096
            for off in range(0, nbytes, step):
                sock.sendall(data[off:off + step])
                behind = start + pace * (off + step) / nbytes - time.monotonic()
                if behind > 0:
                    time.sleep(behind)
        else:
            sock.sendall(data)
    except OSError as e:
        error.append(e)
    t.join()
    elapsed = time.monotonic() - start
    sock.close()
    ok = bytes(got) == data
    rate = len(got) / elapsed / 2**20 if elapsed else 0
    print(f"tcp: {nbytes} bytes sent, {len(got)} echoed in {elapsed:.2f} s ({rate:.2f} MiB/s){'' if ok else ', MISMATCH'}")
    if error:
        print(f"tcp: {error[0]}", file=sys.stderr)
    if not ok:
        n = min(len(got), nbytes)
        first = next((i for i in range(n) if got[i] != data[i]), n)
        print(f"tcp: first difference at byte {first}", file=sys.stderr)
    return ok


def tcp_across(target, marker, timeout):
    """A connection that lives across a reload of the echo shard: echo 64 KiB,
    write MARKER.ready, wait (at most 300 s) for MARKER to exist, then send
    1 KiB every 0.2 s until the connection ends (a reset or end of file:
    lwIP's state went with the reload) or `timeout` seconds pass (a failure:
    a connection that neither ends nor echoes). Then a new connection must
    echo 1 MiB. Prints how the old one ended."""
    rng = random.Random(99)
    sock = socket.create_connection(target, timeout=timeout)
    first = rng.randbytes(64 << 10)
    sock.sendall(first)
    got = bytearray()
    while len(got) < len(first):
        b = sock.recv(1 << 16)
        if not b:
            break
        got.extend(b)
    if bytes(got) != first:
        print(f"across: the first 64 KiB came back wrong ({len(got)} bytes)")
        return False
    open(marker + ".ready", "w").close()
    deadline = time.monotonic() + 300
    while not os.path.exists(marker):
        if time.monotonic() > deadline:
            print("across: the marker never appeared")
            return False
        time.sleep(0.1)
    sock.settimeout(0.2)
    ended, echoed = None, 0
    start = time.monotonic()
    while ended is None and time.monotonic() - start < timeout:
        try:
            sock.sendall(rng.randbytes(1024))
        except OSError as e:
            ended = f"send failed: {e.__class__.__name__}"
            break
        try:
            b = sock.recv(1 << 16)
            if not b:
                ended = "end of file"
            else:
                echoed += len(b)
        except socket.timeout:
            pass
        except OSError as e:
            ended = f"reset ({e.__class__.__name__})"
    sock.close()
    print(f"across: the old connection {'ended: ' + ended if ended else 'did not end'} after {time.monotonic() - start:.2f} s ({echoed} bytes echoed after the reload)")
    if ended is None:
        return False
    return tcp_test(target, 1 << 20, 3, timeout)


def abuse(udp, tcp, flood):
    """Bad input from outside (docs/io.md, "Bad input"): a UDP flood sent
    without waiting, empty and oversized datagrams (IP fragments: lwIP
    reassembles up to its limits and drops the rest), and TCP connections
    opened and abandoned (closed with a reset, or left half open). Checks
    nothing itself: the system's counters and a normal run afterwards do."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect(udp)
    sock.setblocking(False)
    payload = bytes(range(256)) * 4
    sent = dropped = back = 0

    def drain():
        nonlocal back
        while True:
            try:
                sock.recv(65536)
                back += 1
            except (BlockingIOError, ConnectionRefusedError):
                return

    start = time.monotonic()
    for i in range(flood):
        try:
            sock.send(payload[: 1 + i % 1024])
            sent += 1
        except BlockingIOError:
            dropped += 1
        if i % 512 == 0:
            drain()
    big = 0
    for size in (0, 8 << 10, 16 << 10, 32 << 10, 60 << 10) * 20:
        try:
            sock.send(bytes(size))
            big += 1
        except OSError:
            pass
        drain()
    time.sleep(1)
    drain()
    print(f"abuse: udp flood {sent} sent ({dropped} refused by the host) in {time.monotonic() - start:.2f} s, {big} empty or oversized, {back} datagrams back")
    opened = 0
    for i in range(200):
        try:
            c = socket.create_connection(tcp, timeout=5)
            c.sendall(b"x" * (i % 7 * 100))
            if i % 2:  # a reset
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.close()
            opened += 1
        except OSError:
            pass
    print(f"abuse: {opened} tcp connections opened and abandoned")
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--udp", type=addr, metavar="HOST:PORT", help="UDP echo server")
    ap.add_argument("--count", type=int, default=10000, help="UDP datagrams (default 10000)")
    ap.add_argument("--window", type=int, default=64, help="UDP datagrams in flight (default 64)")
    ap.add_argument("--max-loss", type=float, default=0.01, help="fraction of datagrams that may be lost (default 0.01)")
    ap.add_argument("--tcp", type=addr, metavar="HOST:PORT", help="TCP echo server")
    ap.add_argument("--bytes", type=int, default=16 << 20, help="TCP bytes (default 16 MiB)")
    ap.add_argument("--seed", type=int, default=1, help="random seed for sizes and contents")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds without progress before giving up")
    ap.add_argument("--duration", type=float, help="UDP: send for this many seconds instead of --count datagrams")
    ap.add_argument("--pace", type=float, help="TCP: spread the bytes over this many seconds")
    ap.add_argument("--across", metavar="MARKER", help="TCP: a connection across a reload (see tcp_across)")
    ap.add_argument("--abuse", type=int, metavar="FLOOD", help="bad input: a flood of FLOOD datagrams and more (see abuse); needs --udp and --tcp")
    args = ap.parse_args()
    if not args.udp and not args.tcp:
        ap.error("give --udp, --tcp or both")
    ok = True
    try:
        if args.abuse is not None:
            return 0 if abuse(args.udp, args.tcp, args.abuse) else 1
        if args.udp:
            ok &= udp_test(args.udp, args.count, args.seed, args.window, args.timeout, args.max_loss, args.duration)
        if args.tcp and args.across:
            ok &= tcp_across(args.tcp, args.across, args.timeout)
        elif args.tcp:
            ok &= tcp_test(args.tcp, args.bytes, args.seed, args.timeout, args.pace)
    except OSError as e:
        print(f"echo-client: {e}", file=sys.stderr)
        return 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
