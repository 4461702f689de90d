"""The job ledger (SQLite) and the content-addressed output store.

Every generation is a row, written *before* the paid submit and updated at
every state change, so a kernel restart never loses a job: ``videonb.jobs()``
lists them and ``videonb.resume()`` picks up polling where it stopped.
Outputs are downloaded as soon as a job succeeds (provider URLs expire within
hours) into ``store/<sha256[:2]>/<sha256>.mp4``.

Location: ``$VIDEONB_HOME`` if set; else a ``.videonb/`` folder in the current
directory or a parent, if one exists (a project ledger); else the user data
directory (``platformdirs``).  No key is ever written here.

**A ledger is data, never instructions.**  A project ledger may have come with a cloned
repository, so nothing in a row is trusted by itself:

* :meth:`Ledger.claim` is the one way a job is created: in one ``BEGIN IMMEDIATE``
  transaction it returns the cached result, or attaches to the identical job already in
  flight (from this kernel or another one on the same ledger), or checks the session budget
  *counting every unfinished job at its estimate* and inserts the new row.  So the same
  request made at once is one submit, and concurrent cells cannot overspend.
* Each row carries an ``owner`` token (an HMAC of the job id under a secret kept in the
  user's config folder, never in the ledger folder): :func:`owned` tells whether this user
  on this machine created it.
* Each row carries a lease (``lease_owner`` = host, process and session; ``lease_at`` =
  heartbeat time) while a process drives it; :meth:`Ledger.live` tells whether somebody is.
* A cached output is served only from inside this ledger's store, under the name of its
  own content hash (:meth:`Ledger.cached` checks both), never from a path a row names.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import shutil
import socket
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ..errors import BudgetExceededError, JobFailedError, LedgerError, StorageError
from .keys import redact

__all__ = ["Ledger", "JobRecord", "Claim", "home", "ledger", "owned", "owner_token",
           "ACTIVE", "TERMINAL", "LEASE_TTL"]

TERMINAL = ("succeeded", "failed", "cancelled")
#: Statuses of a job that may still cost money (each counts at its estimate in the budget).
ACTIVE = ("created", "submitting", "submitted", "queued", "running", "downloading")
#: A lease not renewed for this many seconds is stale (its process stopped driving the job).
LEASE_TTL = 60.0
#: How far another machine's clock may run ahead before its lease counts as bogus, in seconds.
LEASE_SKEW = 30.0
SCHEMA_VERSION = 3

_COLUMNS = {
    "id": "TEXT PRIMARY KEY", "provider": "TEXT NOT NULL", "model": "TEXT NOT NULL",
    "operation": "TEXT NOT NULL", "request": "TEXT NOT NULL", "cache_key": "TEXT NOT NULL",
    "prompt_hash": "TEXT", "remote_id": "TEXT", "status": "TEXT NOT NULL", "progress": "REAL",
    "cost_estimate": "REAL", "cost": "REAL", "output_hash": "TEXT", "output_path": "TEXT",
    "error_code": "TEXT", "error_message": "TEXT", "session": "TEXT",
    "created_at": "REAL NOT NULL", "updated_at": "REAL NOT NULL", "submitted_at": "REAL",
    "finished_at": "REAL",
    # schema 2
    "owner": "TEXT", "lease_owner": "TEXT", "lease_at": "REAL",
    # schema 3: 1 when the job ran against a loopback emulator (providers.emulation): it is
    # never billed and never counts toward the session's real spending
    "emulated": "INTEGER",
}
_V1 = tuple(list(_COLUMNS)[:21])
_ADDED_IN_V2 = ("owner", "lease_owner", "lease_at")
_ADDED_IN_V3 = ("emulated",)

#: One id per Python process: the session the budget counts against.
SESSION = uuid.uuid4().hex[:12]
HOST = socket.gethostname()


def lease_name() -> str:
    """This process's lease owner: ``host:pid:session``."""
    return f"{HOST}:{os.getpid()}:{SESSION}"


def home() -> Path:
    env = os.environ.get("VIDEONB_HOME")
    if env:
        return Path(env).expanduser()
    from .keys import owned_by_me

    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        candidate = folder / ".videonb"
        if candidate.is_dir() and owned_by_me(candidate):  # another user's: not ours to use
            return candidate
        if folder == Path.home() or folder.parent == folder:
            break
    try:
        from platformdirs import user_data_dir

        return Path(user_data_dir("videonb", appauthor=False))
    except Exception:  # noqa: BLE001
        return Path.home() / ".local" / "share" / "videonb"


def _config_dir() -> Path:
    env = os.environ.get("VIDEONB_CONFIG_DIR")
    if env:
        return Path(env).expanduser()
    try:
        from platformdirs import user_config_dir

        return Path(user_config_dir("videonb", appauthor=False))
    except Exception:  # noqa: BLE001
        return Path.home() / ".config" / "videonb"


_OWNER_SECRET: bytes | None = None
_OWNER_LOCK = threading.Lock()


def _owner_secret() -> bytes:
    """This user's secret for owner tokens (made once, in the user's config folder: a ledger
    folder, which may come from anywhere, never holds it)."""
    global _OWNER_SECRET
    with _OWNER_LOCK:
        if _OWNER_SECRET is not None:
            return _OWNER_SECRET
        path = _config_dir() / "owner.key"
        try:
            _OWNER_SECRET = bytes.fromhex(path.read_text().strip())
        except (OSError, ValueError):
            value = secrets.token_hex(32)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as fh:
                    fh.write(value)
            except FileExistsError:  # another process made it first: use theirs
                value = path.read_text().strip()
            except OSError:
                pass  # unwritable config folder: tokens hold for this process only
            _OWNER_SECRET = bytes.fromhex(value)
        return _OWNER_SECRET


def owner_token(job_id: str) -> str:
    """The token that marks ``job_id`` as created by this user on this machine."""
    return hmac.new(_owner_secret(), job_id.encode(), hashlib.sha256).hexdigest()[:32]


def owned(rec: "JobRecord") -> bool:
    """True when this user on this machine created the row (its owner token verifies)."""
    return bool(rec.owner) and hmac.compare_digest(str(rec.owner), owner_token(rec.id))


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
    owner: str | None = None
    lease_owner: str | None = None
    lease_at: float | None = None
    emulated: int | None = None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Claim:
    """What :meth:`Ledger.claim` decided: ``kind`` is "cached", "attached" or "created"."""

    kind: str
    record: JobRecord


_REALS = ("progress", "cost_estimate", "cost", "created_at", "updated_at", "submitted_at",
          "finished_at", "lease_at")
#: Flags (0 or 1): anything else a crafted row holds reads as 0, i.e. "real money".
_FLAGS = ("emulated",)
_TEXTS = tuple(k for k in _COLUMNS if k not in _REALS and k not in _FLAGS)


def _real(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if value == value and abs(value) != float("inf") else None


def _record(row: Any) -> JobRecord:
    """A row as a JobRecord, each field of its column's type (SQLite stores anything anywhere:
    a crafted ledger's text progress or numeric id must not reach code that trusts types)."""
    data = {k: row[k] for k in row.keys() if k in _COLUMNS}
    for k in _REALS:
        if k in data:
            data[k] = _real(data[k])
    for k in ("created_at", "updated_at"):
        data[k] = data.get(k) or 0.0
    for k in _FLAGS:
        if data.get(k) is not None:
            data[k] = 1 if type(data[k]) is int and data[k] == 1 else 0
    for k in _TEXTS:
        if data.get(k) is not None and not isinstance(data[k], str):
            data[k] = str(data[k])
    for k in ("provider", "model", "operation", "request", "cache_key", "status"):
        data[k] = data.get(k) or ""
    return JobRecord(**data)


def _set_clause(fields: dict[str, Any]) -> str:
    """Stamp ``fields`` (updated_at, finished_at for a terminal status), redact them, check
    they are columns, and give the ``SET`` clause of an UPDATE for them."""
    fields["updated_at"] = time.time()
    if fields.get("status") in TERMINAL and "finished_at" not in fields:
        fields["finished_at"] = fields["updated_at"]
    _redact_fields(fields)
    unknown = set(fields) - set(_COLUMNS)
    if unknown:
        raise ValueError(f"not ledger columns: {sorted(unknown)}")
    return ", ".join(f"{k} = ?" for k in fields)


class Ledger:
    """A small, thread- and process-safe SQLite ledger plus the output store."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else home()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self.store = self.root / "store"
            self.store.mkdir(exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"Cannot create the job ledger folder {self.root}: {exc.strerror or exc}. Set "
                f"VIDEONB_HOME to a writable folder.") from None
        self.path = self.root / "ledger.sqlite3"
        self._lock = threading.RLock()
        self._local = threading.local()
        self._check_schema()

    # --- connections and schema ----------------------------------------------------------
    def _broken(self, why: str) -> LedgerError:
        return LedgerError(
            f"The job ledger {self.path} cannot be used ({why}). Move it aside (for example "
            f"rename it to {self.path.name}.bak); videonb then starts a new, empty one. Jobs "
            f"recorded only in the old file are not resumed.")

    @contextlib.contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection (opened once per thread and process: opening one per
        statement cost 14 of 29 s of the event loop's time in the 200-job load test)."""
        conn = self._thread_conn()
        try:
            yield conn
        except sqlite3.DatabaseError as exc:
            self._drop_conn()
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise LedgerError(f"The job ledger {self.path} stayed locked by another process "
                                  f"for 30 s; try again.") from None
            if isinstance(exc, sqlite3.OperationalError) and ("readonly" in str(exc)
                                                             or "disk" in str(exc)):
                raise StorageError(f"Cannot write the job ledger {self.path} ({exc}). Free some "
                                   f"disk space or set VIDEONB_HOME to a writable "
                                   f"folder.") from None
            raise self._broken(str(exc)) from None

    def _thread_conn(self) -> sqlite3.Connection:
        held = getattr(self._local, "conn", None)
        if held is not None and held[0] == os.getpid():
            return held[1]
        try:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout = 30000")
            # WAL with synchronous=NORMAL survives any crash of the program (only an OS crash
            # or a power cut can lose the last commits) and skips an fsync per statement.
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            raise self._broken(str(exc)) from None
        self._local.conn = (os.getpid(), conn)
        return conn

    def _drop_conn(self) -> None:
        held = getattr(self._local, "conn", None)
        self._local.conn = None
        if held is not None and held[0] == os.getpid():
            with contextlib.suppress(sqlite3.Error):
                held[1].close()

    def close(self) -> None:
        """Close this thread's connection (others close when their thread or the ledger goes)."""
        self._drop_conn()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, exclusive against other writers (other kernels too)."""
        with self._lock, self._conn() as c:
            c.execute("BEGIN IMMEDIATE")
            try:
                yield c
            except BaseException:
                c.execute("ROLLBACK")
                raise
            c.execute("COMMIT")

    def _check_schema(self) -> None:
        """Open (or create) the ledger, retrying while another process is opening it too.

        Two kernels opening a new ledger at the same moment can each hold a read lock and ask
        for the write lock (switching to WAL, creating the table): SQLite then answers one of
        them "database is locked" at once, without waiting, to avoid a deadlock. That answer
        is retried here for up to 30 s; creation runs in one ``BEGIN IMMEDIATE`` and
        re-reads the schema inside it, so only one process creates the table."""
        deadline = time.monotonic() + 30.0
        pause = 0.01
        while True:
            try:
                with self._lock:
                    self._open_schema()
                return
            except sqlite3.OperationalError as exc:
                self._drop_conn()
                if "readonly" in str(exc) or "disk" in str(exc):
                    raise StorageError(f"Cannot write the job ledger {self.path} ({exc}). Free "
                                       f"some disk space or set VIDEONB_HOME to a writable "
                                       f"folder.") from None
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise self._broken(str(exc)) from None
                if time.monotonic() >= deadline:
                    raise LedgerError(f"The job ledger {self.path} stayed locked by another "
                                      f"process for 30 s; try again.") from None
                time.sleep(pause)
                pause = min(pause * 2, 0.5)

    def _open_schema(self) -> None:
        c = self._thread_conn()
        try:
            self._schema_steps(c)
        except sqlite3.OperationalError:
            raise
        except sqlite3.DatabaseError as exc:
            self._drop_conn()
            raise self._broken(str(exc)) from None

    def _schema_steps(self, c: sqlite3.Connection) -> None:
        c.execute("PRAGMA journal_mode=WAL")
        version = c.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in c.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if version > SCHEMA_VERSION:
            raise self._broken(f"it was written by a newer videonb (schema {version}); "
                               f"upgrade videonb")
        if "jobs" not in tables:
            if tables - {"sqlite_sequence"}:
                raise self._broken(f"it is another program's database (tables: "
                                   f"{', '.join(sorted(tables))[:120]})")
            cols = ", ".join(f"{k} {v}" for k, v in _COLUMNS.items())
            c.executescript(
                f"BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS jobs ({cols});"
                "CREATE INDEX IF NOT EXISTS jobs_cache ON jobs (cache_key, status);"
                "CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status);"
                f"PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
            return
        have = {r[1] for r in c.execute("PRAGMA table_info(jobs)")}
        missing = [k for k in _V1 if k not in have]
        if missing:
            raise self._broken(f"its jobs table is not videonb's (no {', '.join(missing[:4])} "
                               f"column)")
        if version < SCHEMA_VERSION:
            c.execute("BEGIN IMMEDIATE")
            for col in (*_ADDED_IN_V2, *_ADDED_IN_V3):
                if col not in {r[1] for r in c.execute("PRAGMA table_info(jobs)")}:
                    c.execute(f"ALTER TABLE jobs ADD COLUMN {col} {_COLUMNS[col]}")
            c.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            c.execute("COMMIT")

    def _one(self, sql: str, args: tuple[Any, ...]) -> JobRecord | None:
        with self._lock, self._conn() as c:
            row = c.execute(sql, args).fetchone()
        return _record(row) if row else None

    # --- writes ------------------------------------------------------------------
    def _insert(self, c: sqlite3.Connection, *, provider: str, model: str, operation: str,
                request_json: str, cache_key: str, prompt_hash: str | None,
                cost_estimate: float | None, lease: bool) -> str:
        now = time.time()
        jid = "vnb_" + uuid.uuid4().hex[:16]
        c.execute("INSERT INTO jobs (id, provider, model, operation, request, cache_key, "
                  "prompt_hash, status, cost_estimate, session, created_at, updated_at, owner, "
                  "lease_owner, lease_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                  (jid, provider, model, operation, redact(request_json, fragments=False),
                   cache_key,
                   prompt_hash, "created", cost_estimate, SESSION, now, now, owner_token(jid),
                   lease_name() if lease else None, now if lease else None))
        return jid

    def create(self, *, provider: str, model: str, operation: str, request_json: str,
               cache_key: str, prompt_hash: str | None, cost_estimate: float | None) -> JobRecord:
        with self._transaction() as c:
            jid = self._insert(c, provider=provider, model=model, operation=operation,
                               request_json=request_json, cache_key=cache_key,
                               prompt_hash=prompt_hash, cost_estimate=cost_estimate, lease=False)
        rec = self.get(jid)
        assert rec is not None
        return rec

    def claim(self, *, provider: str, model: str, operation: str, request_json: str,
              cache_key: str, prompt_hash: str | None, cost_estimate: float | None,
              budget: float | None, use_cache: bool = True,
              describe: str = "This job", count_emulated: bool = True) -> Claim:
        """Atomically: the cached result (``use_cache``), or the identical job in flight, or
        a new row leased to this process — after checking that ``cost_estimate`` fits the
        session ``budget`` with every unfinished job counted at its estimate.  Raises
        :class:`BudgetExceededError` (nothing written) when it does not.

        Emulated jobs (``emulated = 1``) count only when ``count_emulated``, i.e. for a job
        going to a known emulator: what emulators "cost" never blocks a job that may be real.
        (Rows not yet known to be emulated always count.)"""
        if use_cache:
            hit = self.cached(cache_key)
            if hit is not None:
                return Claim("cached", hit)
        with self._transaction() as c:
            # Only this user's own rows are joined: a cloned ledger's row never stands in.
            for row in c.execute(
                    f"SELECT * FROM jobs WHERE cache_key = ? AND status IN ({_marks(ACTIVE)}) "
                    "ORDER BY created_at DESC", (cache_key, *ACTIVE)).fetchall():
                rec = _record(row)
                if owned(rec):
                    return Claim("attached", rec)
            if use_cache:
                last = c.execute("SELECT * FROM jobs WHERE cache_key = ? ORDER BY created_at "
                                 "DESC LIMIT 1", (cache_key,)).fetchone()
                if last is not None and last["error_code"] == "lost_submit" \
                        and owned(_record(last)):
                    raise JobFailedError(
                        f"The same request was submitted as job {last['id']}, and the provider "
                        f"may have it (its submit was cut off: it may run and be billed). Check "
                        f"the provider's dashboard; to submit it again anyway, pass "
                        f"refresh=True.", detail_code="lost_submit")
            if budget is not None and cost_estimate is None:
                raise BudgetExceededError(
                    f"{describe} has no price on record, so the ${budget:.2f} budget "
                    f"(videonb.config.budget_usd) cannot guard it; nothing was sent. Set "
                    f"videonb.config.budget_usd = None to run jobs of unknown price, or choose "
                    f"a priced model (videonb.providers()).")
            if budget is not None and cost_estimate:
                spent = self._spent(c, SESSION, emulated=count_emulated)
                if spent + cost_estimate > budget + 1e-9:
                    real = self._spent(c, SESSION) if count_emulated else spent
                    by_emulators = (f"; ${spent - real:.2f} of it in emulated jobs, which "
                                    f"count only against other emulated jobs"
                                    if spent - real > 1e-9 else "")
                    raise BudgetExceededError(
                        f"{describe} is estimated at ${cost_estimate:.2f}; the session has "
                        f"committed ${spent:.2f} (finished jobs, and running ones at their "
                        f"estimate{by_emulators}) of its ${budget:.2f} budget. Raise "
                        f"videonb.config.budget_usd on purpose, or use a shorter duration or a "
                        f"cheaper model (videonb.providers()).")
            jid = self._insert(c, provider=provider, model=model, operation=operation,
                               request_json=request_json, cache_key=cache_key,
                               prompt_hash=prompt_hash, cost_estimate=cost_estimate, lease=True)
        rec = self.get(jid)
        assert rec is not None
        return Claim("created", rec)

    def update(self, jid: str, **fields: Any) -> JobRecord:
        if not fields:
            rec = self.get(jid)
            assert rec is not None
            return rec
        cols = _set_clause(fields)
        with self._lock, self._conn() as c:
            c.execute(f"UPDATE jobs SET {cols} WHERE id = ?", (*fields.values(), jid))
        rec = self.get(jid)
        assert rec is not None
        return rec

    def advance(self, jid: str, **fields: Any) -> JobRecord | None:
        """:meth:`update`, unless the job was cancelled meanwhile (from another thread or
        kernel): then nothing is written and None is returned — a cancelled job never comes
        back.  (One transaction instead of a read, a write and a read.)"""
        if fields.get("status") == "cancelled":
            return self.update(jid, **fields)
        cols = _set_clause(fields)
        with self._transaction() as c:
            cur = c.execute(f"UPDATE jobs SET {cols} WHERE id = ? AND status != 'cancelled'",
                            (*fields.values(), jid))
            if cur.rowcount == 0:
                return None
            row = c.execute("SELECT * FROM jobs WHERE id = ?", (jid,)).fetchone()
        return _record(row)

    # --- leases ------------------------------------------------------------------
    def take_lease(self, jid: str) -> bool:
        """Make this process the one driving ``jid``; True if it now is.  A live lease of
        another process (fresh heartbeat, process alive) is respected: checked and taken in one
        transaction, so two processes never both take over the same job."""
        with self._transaction() as c:
            row = c.execute("SELECT * FROM jobs WHERE id = ?", (jid,)).fetchone()
            if row is None:
                return False
            rec = _record(row)
            if rec.lease_owner not in (None, lease_name()) and self.live(rec):
                return False
            c.execute("UPDATE jobs SET lease_owner = ?, lease_at = ? WHERE id = ?",
                      (lease_name(), time.time(), jid))
        return True

    def begin_submit(self, jid: str) -> bool:
        """Move ``jid`` from ``created`` to ``submitting`` if this process holds its lease: the
        compare-and-set that makes sure only one process ever submits a row."""
        with self._transaction() as c:
            cur = c.execute("UPDATE jobs SET status = 'submitting', updated_at = ?, lease_at = ? "
                            "WHERE id = ? AND status = 'created' AND lease_owner = ?",
                            (time.time(), time.time(), jid, lease_name()))
            return cur.rowcount == 1

    def heartbeat(self, ids: list[str]) -> None:
        """Renew this process's lease on ``ids`` (the jobs it is driving)."""
        if not ids:
            return
        with self._lock, self._conn() as c:
            c.execute(f"UPDATE jobs SET lease_at = ? WHERE lease_owner = ? AND id IN "
                      f"({_marks(ids)})", (time.time(), lease_name(), *ids))

    def release(self, jid: str) -> None:
        with self._lock, self._conn() as c:
            c.execute("UPDATE jobs SET lease_owner = NULL, lease_at = NULL WHERE id = ? AND "
                      "lease_owner = ?", (jid, lease_name()))

    def live(self, rec: JobRecord, *, driving: Any = None) -> bool:
        """True when some process is driving ``rec`` now.  ``driving(job_id)`` says whether
        *this* process is (its lease alone cannot: the task may have been dropped)."""
        if not rec.lease_owner or rec.terminal:
            return False
        host, _, rest = rec.lease_owner.partition(":")
        pid_text, _, session = rest.partition(":")
        if rec.lease_owner == lease_name():
            return bool(driving(rec.id)) if driving is not None else True
        age = None if rec.lease_at is None else time.time() - rec.lease_at
        fresh = age is not None and -LEASE_SKEW < age < LEASE_TTL  # a lease from the future: stale
        if host == HOST and pid_text.isdigit():
            if int(pid_text) == os.getpid():
                return False  # an earlier session of this process (a re-imported module)
            if not _pid_alive(int(pid_text)):
                return False
        return fresh

    # --- the store ---------------------------------------------------------------
    def store_output(self, src: Path) -> tuple[str, Path]:
        """Move ``src`` into the content-addressed store; return (sha256, stored path)."""
        digest = _sha256(src)
        dest = self.store / digest[:2] / f"{digest}{src.suffix or '.mp4'}"
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            if dest.exists():
                src.unlink(missing_ok=True)
            else:
                shutil.move(str(src), dest)
        except OSError as exc:
            raise StorageError(f"Cannot store the output in {self.store}: "
                               f"{exc.strerror or exc}. Free some disk space or set VIDEONB_HOME "
                               f"to a writable folder.") from None
        return digest, dest

    def stored(self, rec: JobRecord) -> Path | None:
        """``rec``'s output file if it is inside this store under its own content hash (a path
        a row names elsewhere — a home folder, a symlink out of the store — is never used)."""
        if not rec.output_path or not rec.output_hash:
            return None
        try:
            path = Path(rec.output_path).resolve()
            store = self.store.resolve()
        except (OSError, RuntimeError, ValueError):  # ValueError: a NUL byte in the path
            return None
        if store not in path.parents or not path.name.startswith(rec.output_hash):
            return None
        if not path.is_file() or _sha256(path) != rec.output_hash:
            return None
        return path

    # --- reads -------------------------------------------------------------------
    def get(self, jid: str) -> JobRecord | None:
        return self._one("SELECT * FROM jobs WHERE id = ?", (jid,))

    def cached(self, cache_key: str) -> JobRecord | None:
        """The newest succeeded job of this user for this request whose output is intact in the
        store (a row that came with a cloned folder never answers for a request here)."""
        with self._lock, self._conn() as c:
            rows = c.execute("SELECT * FROM jobs WHERE cache_key = ? AND status = 'succeeded' "
                             "ORDER BY finished_at DESC", (cache_key,)).fetchall()
        for row in rows:
            rec = _record(row)
            if owned(rec) and self.stored(rec) is not None:
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
        return [_record(r) for r in rows]

    def unfinished(self) -> list[JobRecord]:
        with self._lock, self._conn() as c:
            rows = c.execute(f"SELECT * FROM jobs WHERE status NOT IN ({_marks(TERMINAL)}) "
                             "ORDER BY created_at", TERMINAL).fetchall()
        return [_record(r) for r in rows]

    @staticmethod
    def _spent(c: sqlite3.Connection, session: str | None, *, emulated: bool = False) -> float:
        real_only = "" if emulated else " AND emulated IS NOT 1"  # as _record reads it
        row = c.execute(
            "SELECT COALESCE(SUM(CASE WHEN cost IS NOT NULL THEN cost "
            f"WHEN status IN ({_marks(ACTIVE)}) THEN COALESCE(cost_estimate, 0) "
            "WHEN status = 'succeeded' THEN COALESCE(cost_estimate, 0) "
            "WHEN error_code = 'lost_submit' THEN COALESCE(cost_estimate, 0) ELSE 0 END), 0) "
            f"FROM jobs WHERE session = ?{real_only}", (*ACTIVE, session)).fetchone()
        return float(row[0] or 0.0)

    def spent(self, session: str | None = SESSION, *, emulated: bool = False) -> float:
        """Money committed in this session: the cost of billed jobs (succeeded, or succeeded
        and then lost to an expired URL), plus the estimate of every unfinished one and of
        every submit that was cut off (the provider may have it and bill it).  Jobs run
        against an emulator are not money and are left out, unless ``emulated=True`` (what
        the budget guard counts for a job that may itself be emulated)."""
        with self._lock, self._conn() as c:
            return self._spent(c, session, emulated=emulated)

    def __iter__(self) -> Iterator[JobRecord]:
        return iter(self.all())

    def dump(self) -> str:
        return json.dumps([r.to_dict() for r in self.all(limit=10_000)], indent=2)


def _redact_fields(fields: dict[str, Any]) -> None:
    """Every text a provider can put in a row (an error's message *and* its machine code, a
    remote id) goes through redaction: a server may echo the key anywhere."""
    for k in ("error_message", "error_code", "remote_id"):
        if isinstance(fields.get(k), str):
            fields[k] = redact(fields[k])


def _marks(values: Any) -> str:
    return ",".join("?" * len(values))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


_LEDGER: Ledger | None = None
_LEDGER_ROOT: Path | None = None


def ledger() -> Ledger:
    """The ledger for the current location (re-opened if ``VIDEONB_HOME`` or the cwd changes it).
    Raises :class:`~videonb.errors.LedgerError` naming the file when it is unusable."""
    global _LEDGER, _LEDGER_ROOT
    root = home()
    if _LEDGER is None or _LEDGER_ROOT != root:
        _LEDGER = Ledger(root)
        _LEDGER_ROOT = root
    return _LEDGER
