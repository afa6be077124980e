"""A PostgreSQL 15 server of a test's own (Debian's postgresql-15), on a Unix socket only: no TCP
port, nothing of this machine's own PostgreSQL touched. Used by tests/test_postgres.py and
tests/test_formgrader_postgres.py (both run by `make test-slurm`).
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import pwd
import shutil
import subprocess
import tempfile

import pytest

PG_BIN = pathlib.Path("/usr/lib/postgresql/15/bin")


@contextlib.contextmanager
def running(*databases: str):
    """Start the server, create `databases`; yield {name: its SQLAlchemy
    URL}; stop it and remove its files.

    Skips the test, saying why, where PostgreSQL cannot start (no psycopg,
    no postgresql-15, no `postgres` user, not root)."""
    pytest.importorskip(
        "psycopg",
        reason="psycopg is not installed: pip install -e '.[scaleout]' (make test-slurm does)",
    )
    if not (PG_BIN / "pg_ctl").is_file():
        pytest.skip(
            "PostgreSQL cannot start here: postgresql-15 is not installed (`apt-get install -y "
            "postgresql-15`, which `make test-slurm` does on Debian as root)"
        )
    try:
        owner = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip(
            "PostgreSQL cannot start here: no `postgres` user (the server refuses to run as root)"
        )
    if os.geteuid() != 0:
        pytest.skip(
            "PostgreSQL cannot start here: the test starts it as the "
            f"postgres user, and this is user {os.geteuid()}"
        )
    # a socket's path must be short
    root = pathlib.Path(tempfile.mkdtemp(prefix="aekit-pg-", dir="/tmp"))
    os.chmod(root, 0o700)
    os.chown(root, owner.pw_uid, owner.pw_gid)

    def as_postgres(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["runuser", "-u", "postgres", "--", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=check,
        )

    data = root / "data"
    try:
        as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres")
        as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(root / "server.log"),
            "-w",
            "-o",
            f"-k {root} -c listen_addresses=''",
            "start",
        )
        for name in databases:
            as_postgres(str(PG_BIN / "createdb"), "-h", str(root), name)
    except subprocess.CalledProcessError as exc:
        log = (
            (root / "server.log").read_text(errors="replace")[-500:]
            if (root / "server.log").exists()
            else ""
        )
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop", check=False)
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(
            f"PostgreSQL cannot start here: {exc.cmd[3]} failed: {exc.stderr.strip()[-300:]} {log}"
        )
    print(
        "\nPostgreSQL 15 ran here as user postgres on the Unix socket "
        f"{root}/.s.PGSQL.5432 (no TCP)"
    )
    try:
        yield {name: f"postgresql+psycopg://postgres@/{name}?host={root}" for name in databases}
    finally:
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop", check=False)
        shutil.rmtree(root, ignore_errors=True)
