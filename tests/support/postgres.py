"""A throwaway, real PostgreSQL server for the test suite: initdb, start on a free port, stop."""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import psycopg
from psycopg import sql

HOST = "127.0.0.1"
SUPERUSER = "postgres"
# PostgreSQL refuses to run as root, so as root the server runs as this system user.
SERVER_SYSTEM_USER = "postgres"
READY_TIMEOUT_SECONDS = 30
# Throwaway data: durability only costs time here.
FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
# A unix socket path must fit in sun_path (108 bytes with the NUL) with ".s.PGSQL.<port>" appended.
MAX_SOCKET_DIR_LENGTH = 90
DATABASE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
START_ATTEMPTS = 3
LOG_TAIL_LINES = 40


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries are missing or the server would not start."""


@dataclass(frozen=True)
class _Binaries:
    initdb: Path
    pg_ctl: Path


class PostgresServer:
    """A running PostgreSQL server owned by one test session; stop() removes it."""

    def __init__(
        self,
        *,
        binaries: _Binaries,
        work_dir: Path,
        remove_work_dir: bool,
        run_as: str | None,
        port: int,
    ) -> None:
        self._binaries = binaries
        self._work_dir = work_dir
        self._remove_work_dir = remove_work_dir
        self._run_as = run_as
        self.port = port
        self.host = HOST
        self.user = SUPERUSER
        self._stopped = False

    # -- lifecycle ---------------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        base_dir: Path,
        *,
        bin_dir: Path | None = None,
        settings: Mapping[str, str] | None = None,
    ) -> PostgresServer:
        """Initialise a cluster under base_dir, start it on a free port and wait until it is ready.

        bin_dir overrides where the server binaries are looked for; settings are extra
        postgresql.conf settings (they win over the fast throwaway defaults).
        """
        binaries = _find_binaries(bin_dir)
        run_as = _server_user() if os.geteuid() == 0 else None
        work_dir, remove_work_dir = _prepare_work_dir(Path(base_dir), run_as)
        server = cls(
            binaries=binaries,
            work_dir=work_dir,
            remove_work_dir=remove_work_dir,
            run_as=run_as,
            port=0,
        )
        try:
            server._initdb({**FAST_SETTINGS, **(settings or {})})
            server._start_on_free_port()
            server._wait_until_ready()
        except BaseException:
            server.stop()
            raise
        atexit.register(server.stop)
        return server

    def stop(self) -> None:
        """Stop the server at once (its data is throwaway) and remove its files. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        atexit.unregister(self.stop)
        if (self.data_dir / "postmaster.pid").exists():
            self._stop_server()
        self._remove_files()

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what tests use ----------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        return self._work_dir / "data"

    @property
    def socket_dir(self) -> Path:
        return self._work_dir / "run"

    @property
    def log_file(self) -> Path:
        return self._work_dir / "postgres.log"

    @property
    def pid(self) -> int:
        """Process id of the postmaster (first line of postmaster.pid)."""
        return int((self.data_dir / "postmaster.pid").read_text().splitlines()[0])

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the built-in `postgres` database."""
        return self.url_for("postgres")

    def url_for(self, name: str) -> str:
        """SQLAlchemy URL of the database called name (it must exist to connect)."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{_checked_name(name)}"

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create a fresh, empty database (or a copy of `template`, which nobody may be
        connected to) and return its SQLAlchemy URL."""
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(_checked_name(name)))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(_checked_name(template)))
        with self._admin_connection() as conn:
            conn.execute(statement)
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, closing any connections still open to it."""
        statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        with self._admin_connection() as conn:
            conn.execute(statement.format(sql.Identifier(_checked_name(name))))

    # -- internals ---------------------------------------------------------------------------

    def _admin_connection(self) -> psycopg.Connection:
        # CREATE/DROP DATABASE cannot run inside a transaction block.
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            dbname="postgres",
            autocommit=True,
            connect_timeout=5,
        )

    def _command(self, *args: str | Path) -> list[str]:
        prefix = ["runuser", "-u", self._run_as, "--"] if self._run_as else []
        return prefix + [str(arg) for arg in args]

    def _run(self, *args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        # cwd inside the work dir: the server user may not be able to enter ours.
        return subprocess.run(
            self._command(*args),
            cwd=self._work_dir,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def _initdb(self, settings: Mapping[str, str]) -> None:
        result = self._run(
            self._binaries.initdb,
            "--pgdata",
            self.data_dir,
            "--username",
            SUPERUSER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",
        )
        if result.returncode != 0:
            raise PostgresUnavailable(
                f"initdb failed (exit {result.returncode}):\n{result.stdout}{result.stderr}"
            )
        self.socket_dir.mkdir(exist_ok=True)
        _give_to(self.socket_dir, self._run_as)
        server_settings = {
            "listen_addresses": HOST,
            "unix_socket_directories": str(self.socket_dir),
            **settings,
        }
        lines = [f"{key} = {_conf_value(value)}" for key, value in server_settings.items()]
        # Later lines win in postgresql.conf, so ours override initdb's defaults.
        with (self.data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# tests/support/postgres.py\n" + "\n".join(lines) + "\n")

    def _start_on_free_port(self) -> None:
        # The port is free when we pick it but another process may take it before the server
        # binds it (parallel test workers do exactly this), so a lost race gets a new port.
        for _ in range(START_ATTEMPTS):
            self.port = _free_port()
            result = self._run(
                self._binaries.pg_ctl,
                "start",
                "--pgdata",
                self.data_dir,
                "--log",
                self.log_file,
                "--wait",
                "--timeout",
                str(READY_TIMEOUT_SECONDS),
                "--options",
                f"-p {self.port}",
                timeout=READY_TIMEOUT_SECONDS + 30,
            )
            if result.returncode == 0:
                return
            log = self._log_tail()
            if "could not bind" not in log and "already in use" not in log:
                break
        raise PostgresUnavailable(
            f"PostgreSQL did not start (pg_ctl exit {result.returncode}): "
            f"{result.stdout}{result.stderr}\n--- {self.log_file} (tail) ---\n{self._log_tail()}"
        )

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while True:
            try:
                with self._admin_connection() as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError as error:
                if time.monotonic() > deadline:
                    raise PostgresUnavailable(
                        f"PostgreSQL on {self.host}:{self.port} refused connections for "
                        f"{READY_TIMEOUT_SECONDS} s: {error}\n--- log tail ---\n{self._log_tail()}"
                    ) from error
                time.sleep(0.1)

    def _stop_server(self) -> None:
        result = self._run(
            self._binaries.pg_ctl,
            "stop",
            "--pgdata",
            self.data_dir,
            "--mode",
            "immediate",
            "--wait",
        )
        if result.returncode == 0:
            return
        # pg_ctl could not stop it (or was not the one that started it): kill the postmaster;
        # its children exit when they notice it is gone.
        with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)

    def _remove_files(self) -> None:
        if self._remove_work_dir:
            shutil.rmtree(self._work_dir, ignore_errors=True)
            return
        shutil.rmtree(self.data_dir, ignore_errors=True)
        shutil.rmtree(self.socket_dir, ignore_errors=True)
        self.log_file.unlink(missing_ok=True)

    def _log_tail(self) -> str:
        try:
            lines = self.log_file.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return "(no log written)"
        return "\n".join(lines[-LOG_TAIL_LINES:])


def _find_binaries(bin_dir: Path | None) -> _Binaries:
    """Server binaries from bin_dir, else pg_config --bindir, the newest Debian layout, PATH."""
    candidates = [Path(bin_dir)] if bin_dir is not None else _candidate_bin_dirs()
    for directory in candidates:
        initdb, pg_ctl = directory / "initdb", directory / "pg_ctl"
        # pg_ctl starts the `postgres` executable that sits beside it.
        if all(os.access(path, os.X_OK) for path in (initdb, pg_ctl, directory / "postgres")):
            return _Binaries(initdb=initdb, pg_ctl=pg_ctl)
    if bin_dir is None:
        initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
        if initdb and pg_ctl:
            return _Binaries(initdb=Path(initdb), pg_ctl=Path(pg_ctl).resolve())
    searched = ", ".join(str(path) for path in candidates) or "(none)"
    where = f"in {searched}" + ("" if bin_dir is not None else " or on PATH")
    raise PostgresUnavailable(
        f"PostgreSQL server binaries (initdb, pg_ctl, postgres) not found {where}; "
        "install the Debian package `postgresql` (scripts/test.sh does)."
    )


def _candidate_bin_dirs() -> list[Path]:
    candidates = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        result = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False, timeout=30
        )
        if result.returncode == 0 and result.stdout.strip():
            candidates.append(Path(result.stdout.strip()))
    debian = Path("/usr/lib/postgresql").glob("*/bin")
    versions = sorted(debian, key=lambda path: _version_key(path.parent.name), reverse=True)
    candidates.extend(path for path in versions if path not in candidates)
    return candidates


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name))


def _server_user() -> str:
    if shutil.which("runuser") is None:
        raise PostgresUnavailable(
            "running as root needs `runuser` (util-linux) to drop to postgres"
        )
    try:
        pwd.getpwnam(SERVER_SYSTEM_USER)
    except KeyError:
        raise PostgresUnavailable(
            f"running as root needs the `{SERVER_SYSTEM_USER}` system user "
            "(created by the Debian package `postgresql`)"
        ) from None
    return SERVER_SYSTEM_USER


def _prepare_work_dir(base_dir: Path, run_as: str | None) -> tuple[Path, bool]:
    """The folder the server owns, and whether stop() removes all of it.

    It is base_dir itself when the server user can reach it and its socket path is short enough;
    otherwise (pytest's 0700 temp folders as root, deep paths) a fresh folder in the system
    temp dir.
    """
    base_dir.mkdir(parents=True, exist_ok=True)
    usable = len(str(base_dir / "run")) <= MAX_SOCKET_DIR_LENGTH
    if usable and run_as is not None:
        # access(2) as the server user fails if any ancestor is not searchable by it.
        probe = subprocess.run(
            ["runuser", "-u", run_as, "--", "test", "-x", str(base_dir)], check=False, timeout=30
        )
        usable = probe.returncode == 0
    work_dir = base_dir if usable else Path(tempfile.mkdtemp(prefix="portal-pg-"))
    _give_to(work_dir, run_as)
    return work_dir, not usable


def _give_to(path: Path, run_as: str | None) -> None:
    """Hand a folder we (root) created over to the server user, readable on the way."""
    if run_as is not None:
        path.chmod(0o755)
        account = pwd.getpwnam(run_as)
        os.chown(path, account.pw_uid, account.pw_gid)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _checked_name(name: str) -> str:
    # Plain identifiers only, so the name needs no quoting in SQL or escaping in a URL.
    if not DATABASE_NAME.fullmatch(name):
        raise ValueError(f"not a plain database name (letters, digits, _; max 63): {name!r}")
    return name


def _conf_value(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"
