"""The result store: one embedded SQLite file (WAL mode) holding runs, scores and the score cache.

- ``cache``: one row per distinct judged input: key -> values, details, flags. The key is built
  from the judge's fingerprint and the input texts, so a score is computed once, ever.
- ``runs``, ``items``, ``outputs``, ``scores``: what each run saw and which cached score each
  (system, item, metric) got; a report is rendered from these alone.
- ``digests``: file digests of model weights, remembered by path, size and mtime.

Writes happen in short transactions (one per scored batch), so a killed run loses at most the
batch in flight and a re-run picks up from the cache. Any failure of the file itself (a full or
read-only disk, a damaged file, a lock held too long) is a :class:`UserError` saying what to do.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import sqlite3
import time
import weakref
from collections.abc import Container, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

from judge.errors import UserError
from judge.metrics.base import Score
from judge.paths import check_target
from judge.store.failures import BUSY_SECONDS, guarded
from judge.store.summary import Summary
from judge.store.tables import ScoreTable, table_of
from judge.suite.data import Item

SCHEMA_VERSION = 1
DEFAULT_STORE = "judge.db"
_IN_CHUNK = 500  # SQLite host parameters per IN (...) query

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cache (
    key TEXT PRIMARY KEY,
    metric TEXT NOT NULL,
    judge TEXT NOT NULL,
    value_json TEXT NOT NULL,
    details_json TEXT NOT NULL,
    flags_json TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    suite TEXT NOT NULL,
    suite_path TEXT NOT NULL,
    suite_digest TEXT NOT NULL,
    started REAL NOT NULL,
    finished REAL,
    status TEXT NOT NULL,
    info_json TEXT NOT NULL,
    summary_json TEXT
);
CREATE INDEX IF NOT EXISTS runs_suite ON runs (suite, started);
CREATE TABLE IF NOT EXISTS items (
    run_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    item_json TEXT NOT NULL,
    PRIMARY KEY (run_id, position)
);
CREATE TABLE IF NOT EXISTS outputs (
    run_id TEXT NOT NULL,
    system TEXT NOT NULL,
    item_id TEXT NOT NULL,
    output TEXT NOT NULL,
    PRIMARY KEY (run_id, system, item_id)
);
CREATE TABLE IF NOT EXISTS scores (
    run_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    system TEXT NOT NULL,
    item_id TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (run_id, metric, system, item_id)
);
CREATE TABLE IF NOT EXISTS digests (key TEXT PRIMARY KEY, digest TEXT NOT NULL);
"""


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    suite: str
    suite_path: str
    started: float
    finished: float | None
    status: str
    info: dict[str, Any]
    summary_json: str | None  # as stored; read through :attr:`summary`
    store: str = ""  # the store's path, for messages

    @property
    def has_summary(self) -> bool:
        return self.summary_json not in (None, "", "{}")

    @cached_property
    def summary(self) -> Summary | None:
        """The run's typed summary (complete runs); a stored summary that is not a valid one
        (written by hand, or by a broken judge) is a :class:`UserError` naming the run."""
        if not self.has_summary:
            return None
        assert self.summary_json is not None
        try:
            data = json.loads(self.summary_json)
        except json.JSONDecodeError as exc:
            raise UserError(f"run {self.run_id}: its stored summary is not JSON: {exc}") from None
        return Summary.parse(data, where=f"{self.store}: run {self.run_id}")


def _info(text: str) -> dict[str, Any]:
    """A run's stored info; an empty one when it is not a JSON object (a store edited by
    hand), so that one broken run never stops a listing of the whole store."""
    try:
        info = json.loads(text)
    except (json.JSONDecodeError, RecursionError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


@dataclass(frozen=True)
class StoredScore:
    metric: str  # the metric's label in the suite
    system: str
    item_id: str
    values: dict[str, float]
    details: dict[str, Any]
    flags: list[str]


class Store:
    """A connection to the store file; create one per process."""

    _open_stores: ClassVar[weakref.WeakSet[Store]] = weakref.WeakSet()

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        check_target(self.path, option="--store", folder=False)
        self._open()

    @guarded
    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)
        Store._open_stores.add(self)
        self._db.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")
        self._check_version()  # before anything is written to a store of a newer judge
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)  # idempotent; runs in its own transaction
        self._db.execute(
            "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
        )

    def _check_version(self) -> None:
        has_meta = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"
        ).fetchone()
        version = (
            self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if has_meta
            else None
        )
        if version and (not str(version[0]).isdigit() or int(version[0]) > SCHEMA_VERSION):
            self._db.close()
            raise UserError(
                f"the store has schema version {version[0]}, newer than this judge "
                f"({SCHEMA_VERSION}); upgrade judge or use another --store",
                where=str(self.path),
            )

    def close(self) -> None:
        self._db.close()
        Store._open_stores.discard(self)

    @classmethod
    def close_all(cls) -> None:
        """Close every store of the process still open (a process leaving without its
        interpreter's teardown still checkpoints its write-ahead log into the file)."""
        for store in list(cls._open_stores):
            with contextlib.suppress(sqlite3.Error):
                store.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``: all of a batch is written, or none of it."""
        if self._db.in_transaction:  # left open by an interrupt between BEGIN and ROLLBACK
            self._db.execute("ROLLBACK")
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            if self._db.in_transaction:  # SQLite may have rolled back already (disk full)
                self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- cache ----------------------------------------------------------------------------

    @guarded
    def cached_keys(self, keys: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(list(keys), _IN_CHUNK):
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(f"SELECT key FROM cache WHERE key IN ({marks})", chunk)
            found.update(r[0] for r in rows)
        return found

    @guarded
    def cached_scores(self, keys: Iterable[str]) -> dict[str, Score]:
        """The cached scores of ``keys`` (keys not in the cache are left out)."""
        found: dict[str, Score] = {}
        for chunk in _chunks(list(dict.fromkeys(keys)), _IN_CHUNK):
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                "SELECT key, value_json, details_json, flags_json FROM cache "
                f"WHERE key IN ({marks})",
                chunk,
            )
            for key, values, details, flags in rows:
                found[key] = Score(
                    json.loads(values), json.loads(details), tuple(json.loads(flags))
                )
        return found

    @guarded
    def put_cache(self, *, metric: str, judge: str, scored: Sequence[tuple[str, Score]]) -> None:
        """Cache new scores: ``(key, score)`` of the judge with fingerprint ``judge``, in one
        transaction. A key already cached keeps its first score."""
        now = time.time()
        with self.transaction() as db:
            db.executemany(
                "INSERT OR IGNORE INTO cache VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        key,
                        metric,
                        judge,
                        json.dumps(dict(score.values)),
                        json.dumps(dict(score.details), separators=(",", ":")),
                        json.dumps(list(score.flags)),
                        now,
                    )
                    for key, score in scored
                ],
            )

    @guarded
    def put_run_scores(
        self, *, run_id: str, metric: str, rows: Iterable[tuple[str, str, str]]
    ) -> None:
        """Record which cached score each ``(system, item_id, key)`` of the run's metric
        ``metric`` got, in one transaction (the rows' order is the run's score order)."""
        with self.transaction() as db:
            db.executemany(  # a generator: no second copy of a large run's rows
                "INSERT OR REPLACE INTO scores VALUES (?, ?, ?, ?, ?)",
                ((run_id, metric, s, i, k) for s, i, k in rows),
            )

    # -- runs -----------------------------------------------------------------------------

    @guarded
    def create_run(
        self,
        *,
        run_id: str,
        suite: str,
        suite_path: str,
        suite_digest: str,
        info: dict[str, Any],
        items: Sequence[Item],
        outputs: dict[str, dict[str, str]],
    ) -> None:
        info = {**info, "process": {"pid": os.getpid(), "host": platform.node()}}
        with self.transaction() as db:
            db.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, NULL, 'running', ?, NULL)",
                (run_id, suite, suite_path, suite_digest, time.time(), json.dumps(info)),
            )
            db.executemany(
                "INSERT INTO items VALUES (?, ?, ?)",
                ((run_id, i, json.dumps(item.to_json())) for i, item in enumerate(items)),
            )
            db.executemany(
                "INSERT INTO outputs VALUES (?, ?, ?, ?)",
                ((run_id, s, i, o) for s, per in outputs.items() for i, o in per.items()),
            )

    @guarded
    def close_abandoned_runs(self) -> list[str]:
        """Mark as ``abandoned`` the runs still ``running`` whose process on this machine is gone
        (killed with ``kill -9`` or by a power cut): their scores stay cached for a re-run."""
        abandoned = []
        for run_id, info in self._db.execute(
            "SELECT run_id, info_json FROM runs WHERE status='running'"
        ):
            process = json.loads(info).get("process", {})
            if process.get("host") == platform.node() and not _alive(process.get("pid")):
                abandoned.append(run_id)
        with self.transaction() as db:
            db.executemany(
                "UPDATE runs SET status='abandoned', finished=? "
                "WHERE run_id=? AND status='running'",
                [(time.time(), run_id) for run_id in abandoned],
            )
        return abandoned

    @guarded
    def finish_run(self, *, run_id: str, summary: Summary | None, status: str = "complete") -> None:
        """Mark a run finished: ``complete`` with its summary, or interrupted/failed without."""
        text = json.dumps(summary.to_json(), ensure_ascii=False) if summary is not None else None
        with self.transaction() as db:
            db.execute(
                "UPDATE runs SET finished=?, status=?, summary_json=? WHERE run_id=?",
                (time.time(), status, text, run_id),
            )

    @guarded
    def runs(self, *, suite: str | None = None) -> list[RunRecord]:
        """Stored runs, newest first."""
        query = (
            "SELECT * FROM runs" + (" WHERE suite=?" if suite else "") + " ORDER BY started DESC"
        )
        return [self._record(r) for r in self._db.execute(query, (suite,) if suite else ())]

    @guarded
    def run(self, run_id: str) -> RunRecord | None:
        row = self._db.execute("SELECT * FROM runs WHERE run_id=?", (run_id,)).fetchone()
        return self._record(row) if row else None

    @guarded
    def items(self, run_id: str) -> list[Item]:
        rows = self._db.execute(
            "SELECT item_json FROM items WHERE run_id=? ORDER BY position", (run_id,)
        )
        return [Item.from_json(json.loads(r[0])) for r in rows]

    @guarded
    def outputs(self, run_id: str) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for system, item_id, text in self._db.execute(
            "SELECT system, item_id, output FROM outputs WHERE run_id=? ORDER BY rowid", (run_id,)
        ):
            out.setdefault(system, {})[item_id] = text
        return out

    @guarded
    def scores(self, run_id: str, *, details: Container[str] | None = None) -> list[StoredScore]:
        """The run's scores in the order the runner writes them: by metric (suite order), then
        item, then system (plan order, see :func:`judge.runner.run_suite`).

        The runner writes a metric's rows once all of them are scored or found in the cache, so
        the order never depends on which scores were cached or in which batch they were computed:
        an interrupted and resumed run reads as an uninterrupted one.

        ``details``: the metric labels whose evidence is read (default all); the others' scores
        carry empty details, so a large run's evidence need not all be in memory at once.
        """
        return [
            StoredScore(
                m,
                s,
                i,
                json.loads(v),
                json.loads(d) if details is None or m in details else {},
                json.loads(f),
            )
            for m, s, i, v, d, f in self.score_rows(run_id)
        ]

    @guarded
    def score_table(self, run_id: str) -> ScoreTable:
        """The run's scores as ``{score name: {system: {item id: value}}}``, in stored order."""
        rows = self._db.execute(
            "SELECT s.metric, s.system, s.item_id, c.value_json "
            "FROM scores s JOIN cache c ON c.key = s.key WHERE s.run_id=? ORDER BY s.rowid",
            (run_id,),
        )
        return table_of((m, s, i, json.loads(v)) for m, s, i, v in rows)

    @guarded
    def score_rows(self, run_id: str) -> Iterator[tuple[str, str, str, str, str, str]]:
        """The run's scores as stored, in :meth:`scores` order: ``(metric, system, item_id,
        values, details, flags)`` with the last three as JSON text, for readers that pass
        evidence on without parsing it. Read as they are iterated (a large run's evidence is
        never all in memory at once); iterate to the end before writing to the store.
        """
        return self._rows(run_id, "c.value_json, c.details_json, c.flags_json")

    @guarded
    def score_values(self, run_id: str) -> Iterator[tuple[str, str, str, str, str]]:
        """:meth:`score_rows` without the evidence: ``(metric, system, item_id, values,
        flags)``, read as they are iterated."""
        return self._rows(run_id, "c.value_json, c.flags_json")

    def _rows(self, run_id: str, columns: str) -> Iterator[Any]:
        rows = self._db.execute(
            f"SELECT s.metric, s.system, s.item_id, {columns} "  # columns: ours, never input
            "FROM scores s JOIN cache c ON c.key = s.key WHERE s.run_id=? ORDER BY s.rowid",
            (run_id,),
        )
        return iter(rows)

    def _record(self, row: Sequence[Any]) -> RunRecord:
        run_id, suite, suite_path, _digest, started, finished, status, info, summary = row
        return RunRecord(
            run_id,
            suite,
            suite_path,
            started,
            finished,
            status,
            _info(info),
            summary,
            store=str(self.path),
        )

    # -- model file digests (models.DigestCache) --------------------------------------------

    @guarded
    def get_digest(self, key: str) -> str | None:
        row = self._db.execute("SELECT digest FROM digests WHERE key=?", (key,)).fetchone()
        return str(row[0]) if row else None

    @guarded
    def put_digest(self, key: str, digest: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO digests VALUES (?, ?)", (key, digest))


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _chunks(values: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
