"""Progress on stderr: a rich bar on a terminal, plain lines otherwise, nothing when quiet."""

from __future__ import annotations

import sys
import time
from typing import Any, Protocol, TextIO

from judge.errors import printable


class Progress(Protocol):
    def start(self, label: str, *, total: int, cached: int) -> None: ...

    def advance(self, n: int) -> None: ...

    def finish(self) -> None: ...

    def close(self) -> None: ...


class NullProgress:
    def start(self, label: str, *, total: int, cached: int) -> None:
        pass

    def advance(self, n: int) -> None:
        pass

    def finish(self) -> None:
        pass

    def close(self) -> None:
        pass


class PlainProgress:
    """One line when a metric starts, one every ``every`` seconds, one when it ends."""

    def __init__(self, stream: TextIO, *, every: float = 10.0) -> None:
        self.stream, self.every = stream, every
        self.label, self.total, self.done, self.t0, self.last = "", 0, 0, 0.0, 0.0

    def start(self, label: str, *, total: int, cached: int) -> None:
        self.label, self.total, self.done = printable(label), total, 0
        self.t0 = self.last = time.perf_counter()
        print(f"{label}: {total} to score, {cached} cached", file=self.stream, flush=True)

    def advance(self, n: int) -> None:
        self.done += n
        now = time.perf_counter()
        if now - self.last >= self.every:
            self.last = now
            print(f"{self.label}: {self._line(now)}", file=self.stream, flush=True)

    def _line(self, now: float) -> str:
        rate = self.done / max(now - self.t0, 1e-9)
        return f"{self.done}/{self.total} ({rate:.1f} items/s)"

    def finish(self) -> None:
        if self.total:
            print(f"{self.label}: {self._line(time.perf_counter())}", file=self.stream, flush=True)

    def close(self) -> None:
        pass


class RichProgress:
    """A rich progress bar with items per second."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import Progress as RichBar

        self._bar = RichBar(
            TextColumn("{task.description:<20}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            console=Console(file=stream),
            transient=False,
        )
        self._task: Any = None
        self._t0 = 0.0
        self._done = 0

    def start(self, label: str, *, total: int, cached: int) -> None:
        if self._task is None:
            self._bar.start()
        from rich.markup import escape

        desc = escape(printable(label)) + (f" ({cached} cached)" if cached else "")
        self._task = self._bar.add_task(desc, total=max(total, 1) if total else 1, rate="")
        if not total:
            self._bar.update(self._task, completed=1, rate="all cached")
        self._t0, self._done = time.perf_counter(), 0

    def advance(self, n: int) -> None:
        self._done += n
        rate = self._done / max(time.perf_counter() - self._t0, 1e-9)
        self._bar.update(self._task, advance=n, rate=f"{rate:.1f} items/s")

    def finish(self) -> None:
        pass

    def close(self) -> None:
        if self._task is not None:
            self._bar.stop()


def make_progress(*, quiet: bool = False, stream: TextIO | None = None) -> Progress:
    stream = stream or sys.stderr
    if quiet:
        return NullProgress()
    if stream.isatty():
        return RichProgress(stream)
    return PlainProgress(stream)
