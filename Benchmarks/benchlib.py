"""Shared by the Python benchmarks: a running system's console, UDP bursts."""
import re
import socket
import threading
import time


def udp_burst(port, size, count, window, timeout=1.0):
    """Sends `count` datagrams of `size` zero bytes to 127.0.0.1:`port` with at
    most `window` in flight; returns (echoes received, seconds taken). A
    datagram not back within `timeout` counts as lost and frees its place."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.connect(("127.0.0.1", port))
    s.settimeout(timeout)
    payload = bytes(size)
    sent = got = 0
    t0 = time.monotonic()
    while got < count:
        while sent < count and sent - got < window:
            s.send(payload)
            sent += 1
        try:
            s.recv(2048)
            got += 1
        except socket.timeout:
            if sent >= count:
                break
            sent = got  # lost: refill the window
    elapsed = time.monotonic() - t0
    s.close()
    return got, elapsed


class Console:
    """The running system's console, each line with the time it arrived."""

    def __init__(self, proc):
        self.lines = []
        self.closed = False  # the console ended: the system stopped
        self.cond = threading.Condition()
        threading.Thread(target=self._read, args=(proc,), daemon=True).start()

    def _read(self, proc):
        for raw in proc.stdout:
            with self.cond:
                self.lines.append((time.monotonic(), raw.decode(errors="replace").rstrip("\r\n")))
                self.cond.notify_all()
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def wait_for(self, pattern, timeout=120):
        """The time the first line matching `pattern` arrived (and the match)."""
        return self.match(pattern, timeout)[0]

    def match(self, pattern, timeout=120):
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            seen = 0
            while True:
                for t, line in self.lines[seen:]:
                    m = rx.search(line)
                    if m:
                        return t, m
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    why = "the system stopped" if self.closed else "timed out"
                    raise RuntimeError("%s waiting for %r; console:\n%s" % (why, pattern, "\n".join(l for _, l in self.lines[-30:])))
                self.cond.wait(left)
