"""A progress line for long imports and exports: on stderr, and only when stderr is a terminal."""

import sys
import time
from typing import TextIO


class Progress:
    """Rows done, rate and time left, redrawn in place at most a few times a second."""

    def __init__(self, total: int | None, *, label: str, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.total, self.label = total, label
        self.started = self.drawn = time.monotonic()
        self.done = 0

    def __call__(self, done: int) -> None:
        self.done = done
        now = time.monotonic()
        if self.enabled and now - self.drawn >= 0.2:
            self.drawn = now
            self.stream.write("\r" + self.line(now))
            self.stream.flush()

    def line(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        text = f"{self.label}: {self.done:,}"
        if self.total:
            left = (self.total - self.done) / rate if rate else 0
            text += (
                f" / {self.total:,} rows ({100 * self.done / self.total:.0f}%), {rate:,.0f} rows/s, {left:.0f} s left"
            )
        else:
            text += f" rows, {rate:,.0f} rows/s"
        return text.ljust(80)

    def finish(self) -> None:
        if self.enabled:
            self.stream.write("\r" + self.line(time.monotonic()) + "\n")
            self.stream.flush()
