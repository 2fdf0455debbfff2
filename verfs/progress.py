"""Progress for long work: ``label: done/total (rate/s)`` redrawn on a terminal, and
nothing at all when stderr is not one (piped, in CI, in tests)."""

import sys
import time


class Progress:
    def __init__(self, total: int | None, label: str, stream=None):
        self.stream = stream or sys.stderr
        self.total, self.label = total, label
        self.done = 0
        self.start = self._last = time.monotonic()
        self.active = self.stream.isatty()

    def update(self, n: int = 1) -> None:
        self.done += n
        if self.active:
            now = time.monotonic()
            if now - self._last >= 0.1:
                self._last = now
                self._draw(now)

    def _draw(self, now: float, end: str = "") -> None:
        rate = self.done / max(now - self.start, 1e-9)
        of = f"/{self.total}" if self.total is not None else ""
        self.stream.write(f"\r{self.label}: {self.done}{of} ({rate:.1f}/s){end}")
        self.stream.flush()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        if self.active and self.done:
            self._draw(time.monotonic(), "\n")


def progress(total: int | None, label: str, stream=None) -> Progress:
    """A context manager with ``update(n)``; draws only on a terminal."""
    return Progress(total, label, stream)
