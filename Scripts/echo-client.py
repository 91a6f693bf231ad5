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


def udp_test(target, count, seed, window, timeout, max_loss):
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
    while next_seq < count or sent:
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
        if now - last_progress > timeout:
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


def tcp_test(target, nbytes, seed, timeout):
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
    args = ap.parse_args()
    if not args.udp and not args.tcp:
        ap.error("give --udp, --tcp or both")
    ok = True
    try:
        if args.udp:
            ok &= udp_test(args.udp, args.count, args.seed, args.window, args.timeout, args.max_loss)
        if args.tcp:
            ok &= tcp_test(args.tcp, args.bytes, args.seed, args.timeout)
    except OSError as e:
        print(f"echo-client: {e}", file=sys.stderr)
        return 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
