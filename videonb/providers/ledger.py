"""The job ledger (SQLite) and the content-addressed output store.

Every generation is a row, written *before* the paid submit and updated at
every state change, so a kernel restart never loses a job: ``videonb.jobs()``
lists them and ``videonb.resume()`` picks up polling where it stopped.
Outputs are downloaded as soon as a job succeeds (provider URLs expire within
hours) into ``store/<sha256[:2]>/<sha256>.mp4``.

Location: ``$VIDEONB_HOME`` if set; else a ``.videonb/`` folder in the current
directory or a parent, if one exists (a project ledger); else the user data
directory (``platformdirs``).  No key is ever written here.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from .keys import redact

__all__ = ["Ledger", "JobRecord", "home", "ledger"]

TERMINAL = ("succeeded", "failed", "cancelled")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    operation TEXT NOT NULL,
    request TEXT NOT NULL,
    cache_key TEXT NOT NULL,
    prompt_hash TEXT,
    remote_id TEXT,
    status TEXT NOT NULL,
    progress REAL,
    cost_estimate REAL,
    cost REAL,
    output_hash TEXT,
    output_path TEXT,
    error_code TEXT,
    error_message TEXT,
    session TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    submitted_at REAL,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS jobs_cache ON jobs (cache_key, status);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status);
"""

#: One id per Python process: the session the budget counts against.
SESSION = uuid.uuid4().hex[:12]


def home() -> Path:
    env = os.environ.get("VIDEONB_HOME")
    if env:
        return Path(env).expanduser()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / ".videonb").is_dir():
            return folder / ".videonb"
        if folder == Path.home() or folder.parent == folder:
            break
    try:
        from platformdirs import user_data_dir

        return Path(user_data_dir("videonb", appauthor=False))
    except Exception:  # noqa: BLE001
        return Path.home() / ".local" / "share" / "videonb"


@dataclass
class JobRecord:
    id: str
    provider: str
    model: str
    operation: str
    request: str
    cache_key: str
    prompt_hash: str | None
    remote_id: str | None
    status: str
    progress: float | None
    cost_estimate: float | None
    cost: float | None
    output_hash: str | None
    output_path: str | None
    error_code: str | None
    error_message: str | None
    session: str | None
    created_at: float
    updated_at: float
    submitted_at: float | None
    finished_at: float | None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Ledger:
    """A small, thread-safe SQLite ledger plus the output store."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else home()
        self.root.mkdir(parents=True, exist_ok=True)
        self.store = self.root / "store"
        self.store.mkdir(exist_ok=True)
        self.path = self.root / "ledger.sqlite3"
        self._lock = threading.RLock()
        with self._conn() as c:
            c.executescript(_SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        return conn

    def _one(self, sql: str, args: tuple[Any, ...]) -> JobRecord | None:
        with self._lock, self._conn() as c:
            row = c.execute(sql, args).fetchone()
        return JobRecord(**dict(row)) if row else None

    # --- writes ------------------------------------------------------------------
    def create(self, *, provider: str, model: str, operation: str, request_json: str,
               cache_key: str, prompt_hash: str | None, cost_estimate: float | None) -> JobRecord:
        now = time.time()
        jid = "vnb_" + uuid.uuid4().hex[:16]
        with self._lock, self._conn() as c:
            c.execute("INSERT INTO jobs (id, provider, model, operation, request, cache_key, "
                      "prompt_hash, status, cost_estimate, session, created_at, updated_at) "
                      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                      (jid, provider, model, operation, redact(request_json), cache_key,
                       prompt_hash, "created", cost_estimate, SESSION, now, now))
        rec = self.get(jid)
        assert rec is not None
        return rec

    def update(self, jid: str, **fields: Any) -> JobRecord:
        if not fields:
            rec = self.get(jid)
            assert rec is not None
            return rec
        fields["updated_at"] = time.time()
        if fields.get("status") in TERMINAL and "finished_at" not in fields:
            fields["finished_at"] = fields["updated_at"]
        for k in ("error_message",):
            if isinstance(fields.get(k), str):
                fields[k] = redact(fields[k])
        cols = ", ".join(f"{k} = ?" for k in fields)
        with self._lock, self._conn() as c:
            c.execute(f"UPDATE jobs SET {cols} WHERE id = ?", (*fields.values(), jid))
        rec = self.get(jid)
        assert rec is not None
        return rec

    def store_output(self, src: Path) -> tuple[str, Path]:
        """Move ``src`` into the content-addressed store; return (sha256, stored path)."""
        h = hashlib.sha256()
        with open(src, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        digest = h.hexdigest()
        dest = self.store / digest[:2] / f"{digest}{src.suffix or '.mp4'}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.exists():
            src.unlink(missing_ok=True)
        else:
            shutil.move(str(src), dest)
        return digest, dest

    # --- reads -------------------------------------------------------------------
    def get(self, jid: str) -> JobRecord | None:
        return self._one("SELECT * FROM jobs WHERE id = ?", (jid,))

    def cached(self, cache_key: str) -> JobRecord | None:
        """The newest succeeded job for this request whose output file still exists."""
        with self._lock, self._conn() as c:
            rows = c.execute("SELECT * FROM jobs WHERE cache_key = ? AND status = 'succeeded' "
                             "ORDER BY finished_at DESC", (cache_key,)).fetchall()
        for row in rows:
            rec = JobRecord(**dict(row))
            if rec.output_path and Path(rec.output_path).exists():
                return rec
        return None

    def in_flight(self, cache_key: str) -> JobRecord | None:
        """A submitted, unfinished job for the same request (so a retry does not bill twice)."""
        return self._one("SELECT * FROM jobs WHERE cache_key = ? AND status IN "
                         "('submitted', 'queued', 'running', 'downloading') "
                         "ORDER BY created_at DESC", (cache_key,))

    def all(self, *, limit: int = 100, status: str | None = None) -> list[JobRecord]:
        sql = "SELECT * FROM jobs"
        args: tuple[Any, ...] = ()
        if status:
            sql += " WHERE status = ?"
            args = (status,)
        sql += " ORDER BY created_at DESC LIMIT ?"
        with self._lock, self._conn() as c:
            rows = c.execute(sql, (*args, limit)).fetchall()
        return [JobRecord(**dict(r)) for r in rows]

    def unfinished(self) -> list[JobRecord]:
        with self._lock, self._conn() as c:
            rows = c.execute("SELECT * FROM jobs WHERE status NOT IN ('succeeded', 'failed', "
                             "'cancelled') ORDER BY created_at").fetchall()
        return [JobRecord(**dict(r)) for r in rows]

    def spent(self, session: str | None = SESSION) -> float:
        """Money committed in this session: cost of finished jobs + estimates of running ones."""
        with self._lock, self._conn() as c:
            row = c.execute(
                "SELECT COALESCE(SUM(CASE WHEN status = 'succeeded' THEN COALESCE(cost, cost_estimate) "
                "WHEN status IN ('submitted','queued','running','downloading') THEN cost_estimate "
                "ELSE 0 END), 0) FROM jobs WHERE session = ?", (session,)).fetchone()
        return float(row[0] or 0.0)

    def __iter__(self) -> Iterator[JobRecord]:
        return iter(self.all())

    def dump(self) -> str:
        return json.dumps([r.to_dict() for r in self.all(limit=10_000)], indent=2)


_LEDGER: Ledger | None = None
_LEDGER_ROOT: Path | None = None


def ledger() -> Ledger:
    """The ledger for the current location (re-opened if ``VIDEONB_HOME`` or the cwd changes it)."""
    global _LEDGER, _LEDGER_ROOT
    root = home()
    if _LEDGER is None or _LEDGER_ROOT != root:
        _LEDGER = Ledger(root)
        _LEDGER_ROOT = root
    return _LEDGER
