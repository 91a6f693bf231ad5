"""Shared by the Python benchmarks: a running system's console."""
import re
import threading
import time


class Console:
    """The running system's console, each line with the time it arrived."""

    def __init__(self, proc):
        self.lines = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, args=(proc,), daemon=True).start()

    def _read(self, proc):
        for raw in proc.stdout:
            with self.cond:
                self.lines.append((time.monotonic(), raw.decode(errors="replace").rstrip("\r\n")))
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
                if left <= 0:
                    raise RuntimeError("timed out waiting for %r; console:\n%s" % (pattern, "\n".join(l for _, l in self.lines[-30:])))
                self.cond.wait(left)
