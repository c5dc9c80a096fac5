"""`make run`: the whole platform on this machine, no AWS account needed.

DynamoDB Local (data on disk, survives restarts) + moto server (SQS, SNS, SES, S3, KMS;
in memory) + the resources from chalicelib.resources + demo data (once) + the API as
`chalice local --stage local` + the dispatcher that feeds queues and the table stream to
their consumers and ticks schedules + a fake Telegram Bot API (infra/local/telegram_fake.py).
Ctrl-C (or SIGTERM) stops everything this started and compacts DynamoDB Local's data file
(deleted items leave no bytes behind). Configure with environment variables: API_PORT
(8000), DDB_PORT (8100), MOTO_PORT (5100), TELEGRAM_PORT (5200), LOCAL_DATA_DIR (.local/data).
See docs/local-stack.md.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from moto.server import ThreadedMotoServer

from infra.local import dynamodb, outbox, payments_fake, telegram_fake

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
REGION = "eu-central-1"
log = logging.getLogger("infra.local.stack")


class StackError(Exception):
    """A problem the user can fix; printed as one line, no stack trace."""


@dataclass(frozen=True)
class StackConfig:
    api_port: int
    ddb_port: int
    moto_port: int
    data_dir: Path
    telegram_port: int = 5200
    payments_port: int = 5300  # the fake payment provider (wallet top-ups)

    @classmethod
    def from_env(cls, environ: dict[str, str] | os._Environ[str] = os.environ) -> StackConfig:
        def port(name: str, default: int) -> int:
            raw = environ.get(name, str(default))
            if not raw.isdigit() or not 0 < int(raw) < 65536:
                raise StackError(f"{name}={raw!r} is not a port number")
            return int(raw)

        config = cls(
            api_port=port("API_PORT", 8000),
            ddb_port=port("DDB_PORT", 8100),
            moto_port=port("MOTO_PORT", outbox.DEFAULT_MOTO_PORT),
            data_dir=outbox.data_dir(environ),
            telegram_port=port("TELEGRAM_PORT", 5200),
            payments_port=port("PAYMENTS_PORT", 5300),
        )
        ports = {config.api_port, config.ddb_port, config.moto_port, config.telegram_port, config.payments_port}
        if len(ports) != 5:
            raise StackError("API_PORT, DDB_PORT, MOTO_PORT, TELEGRAM_PORT and PAYMENTS_PORT must differ")
        return config

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.api_port}"

    @property
    def ddb_url(self) -> str:
        return f"http://{HOST}:{self.ddb_port}"

    @property
    def moto_url(self) -> str:
        return f"http://{HOST}:{self.moto_port}"

    @property
    def telegram_url(self) -> str:
        return f"http://{HOST}:{self.telegram_port}"

    @property
    def payments_url(self) -> str:
        return f"http://{HOST}:{self.payments_port}"


def check_tools() -> None:
    if shutil.which("java") is None:
        raise StackError("Java 17 is required for DynamoDB Local: `sudo apt-get install -y openjdk-17-jre-headless`.")
    try:
        dynamodb.jar_dir()
    except dynamodb.ToolMissing as exc:
        raise StackError(str(exc)) from None


def check_ports(config: StackConfig) -> None:
    for label, variable, number in (
        ("the API", "API_PORT", config.api_port),
        ("DynamoDB Local", "DDB_PORT", config.ddb_port),
        ("moto", "MOTO_PORT", config.moto_port),
        ("the fake Telegram Bot API", "TELEGRAM_PORT", config.telegram_port),
        ("the fake payment provider", "PAYMENTS_PORT", config.payments_port),
    ):
        if dynamodb.port_in_use(number):
            raise StackError(
                f"port {number} (for {label}) is already in use: stop what holds it "
                f"(`ss -ltnp 'sport = :{number}'`) or run with {variable}=<free port>."
            )


def local_environment(config: StackConfig) -> dict[str, str]:
    """What the app reads (chalicelib.settings) to talk to the local stack, never to AWS."""
    return {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "local",
        "AWS_DEFAULT_REGION": REGION,
        "BOOKING_REGION": REGION,
        "BOOKING_STAGE": "local",
        "BOOKING_DYNAMODB_ENDPOINT": config.ddb_url,
        "BOOKING_AWS_ENDPOINT": config.moto_url,
        "BOOKING_TELEGRAM_API_BASE": config.telegram_url,  # the fake Bot API, never api.telegram.org
        "POWERTOOLS_METRICS_DISABLED": "true",
        # business webhooks: a receiver on 127.0.0.1 may be tried locally (docs/webhooks.md)
        "BOOKING_WEBHOOKS_ALLOW_LOOPBACK": "true",
        "BOOKING_PAYMENTS_PAGE_BASE": config.payments_url,  # the fake payment provider's pages
    }


def write_state(config: StackConfig) -> Path:
    """The running stack's ports, for `make outbox` / `make otp` (outbox.moto_port)."""
    path = config.data_dir / outbox.STATE_FILE
    ports = {
        "api_port": config.api_port,
        "ddb_port": config.ddb_port,
        "moto_port": config.moto_port,
        "telegram_port": config.telegram_port,
        "payments_port": config.payments_port,
    }
    path.write_text(json.dumps({"pid": os.getpid(), **ports}))
    return path


def remove_state(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def running_stack_pid(data_dir: Path) -> int | None:
    """The pid of a live stack that uses ``data_dir`` (its state file), else None."""
    try:
        pid = int(json.loads((data_dir / outbox.STATE_FILE).read_text())["pid"])
        os.kill(pid, 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return pid if pid != os.getpid() else None


def compact_data(path: Path, *, when: str) -> None:
    """dynamodb.compact, as one clear line when SQLite refuses (the file is busy or damaged)."""
    try:
        dynamodb.compact(path)
    except sqlite3.Error as exc:
        message = f"could not compact DynamoDB Local's data in {path} {when}: {exc}"
        if when == "after the stop":
            log.warning("%s", message)
            return
        raise StackError(f"{message}; is another DynamoDB Local using it?") from None


class OutboxMotoServer(ThreadedMotoServer):
    """moto's threaded server, plus /_local/outbox.json (see infra.local.outbox)."""

    def __init__(self, port: int, recorder: outbox.OutboxRecorder) -> None:
        super().__init__(ip_address=HOST, port=port, verbose=False)
        self.recorder = recorder
        self.error: Exception | None = None

    def _server_entry(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        app = outbox.outbox_app(DomainDispatcherApplication(create_backend_app), self.recorder)
        try:
            self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
        except OSError as exc:  # the port was taken after our check: report, don't hang start()
            self.error = exc
            self._server_ready_event.set()
            return
        self._server_ready_event.set()
        self._server.serve_forever()


def _timed(running: ExitStack, fn: Callable[..., object], *args: object) -> None:
    def call() -> None:
        started = time.monotonic()
        fn(*args)
        log.info("stopped %s in %.2fs", getattr(fn, "__qualname__", fn), time.monotonic() - started)

    running.callback(call)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run(config: StackConfig, ready: threading.Event | None = None) -> None:
    """Start everything, serve until interrupted, then stop it all (in reverse order)."""
    check_tools()
    check_ports(config)
    other = running_stack_pid(config.data_dir)
    if other is not None:
        raise StackError(
            f"another stack (pid {other}) uses {config.data_dir}: stop it or run with LOCAL_DATA_DIR=<another dir>."
        )
    os.environ.update(local_environment(config))
    os.environ.pop("AWS_PROFILE", None)
    logs = config.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)

    with ExitStack() as running:
        try:
            _start_and_serve(config, running, logs, ready)
        except BaseException:
            # Stopping: a second Ctrl-C must not cut the clean-up (the ExitStack) short.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            log.info("stopping everything this started")
            raise


def _start_and_serve(config: StackConfig, running: ExitStack, logs: Path, ready: threading.Event | None) -> None:
    # DynamoDB Local: a JVM with its data on disk. Its SQLite file keeps deleted rows' bytes
    # in freed pages, so it is compacted while no JVM holds it: before the start (a stack
    # that was killed never ran its stop) and after the stop (the callbacks run in reverse).
    ddb_data = config.data_dir / "dynamodb"
    compact_data(ddb_data, when="before the start")
    running.callback(compact_data, ddb_data, when="after the stop")
    ddb = dynamodb.start(config.ddb_port, ddb_data, log_file=logs / "dynamodb.log")
    _timed(running, dynamodb.stop, ddb)

    # The fake Telegram Bot API: Telegram messages end here, listed in the outbox.
    try:
        telegram = telegram_fake.FakeBotApi(HOST, config.telegram_port)
    except OSError as exc:
        raise StackError(f"the fake Telegram Bot API could not listen on port {config.telegram_port}: {exc}") from None
    telegram.start()
    _timed(running, telegram.stop)

    # moto: in this process, so the outbox can read its backends (the JVM starts meanwhile).
    recorder = outbox.OutboxRecorder(lambda: outbox.snapshot_backends() + telegram.entries())
    moto = OutboxMotoServer(config.moto_port, recorder)
    moto.start()
    if moto.error is not None:
        raise StackError(f"moto could not listen on port {config.moto_port}: {moto.error}")
    _timed(running, moto.stop)
    stop_watching = threading.Event()
    threading.Thread(target=recorder.watch, args=(stop_watching,), daemon=True, name="outbox").start()
    _timed(running, stop_watching.set)
    log.info("moto ready on %s", config.moto_url)
    try:
        dynamodb.wait_ready(config.ddb_url, ddb)
    except (RuntimeError, TimeoutError) as exc:
        raise StackError(f"{exc}; see {logs / 'dynamodb.log'}") from None
    log.info("DynamoDB Local ready on %s", config.ddb_url)

    from chalicelib.aws_clients import client
    from chalicelib.settings import get_settings
    from infra.local import bootstrap, seed

    bootstrap.create_resources()
    # Mobile push: SNS platform applications in moto, and the app pointed at them.
    os.environ.update(bootstrap.push_environment(bootstrap.create_push_applications(get_settings())))
    get_settings.cache_clear()
    log.info("resources ready")
    seeded = seed.seed()

    from infra.local.api_server import create_server

    server = create_server(HOST, config.api_port)
    threading.Thread(target=server.server.serve_forever, daemon=True, name="api").start()
    _timed(running, server.server.server_close)
    _timed(running, server.shutdown)
    log.info("API ready on %s", config.api_url)

    from infra.local.dispatcher import Dispatcher

    dispatcher = Dispatcher(
        server.app_object, client("sqs"), REGION, dynamodb=client("dynamodb"), streams=client("dynamodbstreams")
    )
    dispatcher.start()
    _timed(running, dispatcher.stop)

    # The fake payment provider: its "pay" delivers the signed top-up webhook to the API.
    try:
        payments = payments_fake.FakePaymentProvider(config.api_url, HOST, config.payments_port)
    except OSError as exc:
        raise StackError(f"the fake payment provider could not listen on port {config.payments_port}: {exc}") from None
    payments.start()
    _timed(running, payments.stop)

    _timed(running, remove_state, write_state(config))
    print(banner(config, seeded, dispatcher.describe()), flush=True)
    if ready is not None:
        ready.set()
    while ddb.poll() is None:
        time.sleep(0.5)
    raise StackError(f"DynamoDB Local exited (code {ddb.returncode}); see {logs / 'dynamodb.log'}")


def banner(config: StackConfig, seeded: bool, dispatch: list[str]) -> str:
    routes = (
        "\n".join(f"                  {line}" for line in dispatch) or "                  (no consumers or schedules)"
    )
    data = "demo data loaded" if seeded else "existing data kept"
    return f"""
Booking platform, local stage - everything on 127.0.0.1:
  API           {config.api_url}   health /v1/health, spec /openapi.json, docs /docs
  DynamoDB      {config.ddb_url}   data in {config.data_dir / "dynamodb"} ({data})
  moto          {config.moto_url}   SQS SNS SES S3 KMS (in memory), dashboard /moto-api/
  Telegram      {config.telegram_url}   fake Bot API (messages kept in memory)
  Payments      {config.payments_url}   fake payment provider: POST a top-up's payment_url to pay
  dispatcher
{routes}
  outbox        `make outbox` prints the SMS, e-mail, push and Telegram messages sent so far
                (JSON: {config.moto_url}{outbox.OUTBOX_PATH}); `make otp PHONE=...` the newest code
Ctrl-C stops everything.""".lstrip("\n")


def main() -> None:
    logging.basicConfig(
        stream=sys.stderr, level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("infra.local").setLevel(logging.INFO)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request lines drown the rest
    # Ctrl-C and SIGTERM stop cleanly; set explicitly because a shell that starts us in the
    # background leaves SIGINT ignored, and Python then installs no handler of its own.
    signal.signal(signal.SIGINT, _raise_interrupt)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        config = StackConfig.from_env()
        run(config)
    except (StackError, dynamodb.ToolMissing) as exc:
        sys.exit(f"error: {exc}")
    except KeyboardInterrupt:
        print("\nstopped: DynamoDB Local (data compacted), moto, fake Telegram, the API, the dispatcher.", flush=True)
        sys.stderr.flush()
        # Everything is stopped and flushed: skip the interpreter's slow teardown of a
        # large heap (seconds on a busy machine) that would only delay the prompt.
        os._exit(0)


if __name__ == "__main__":
    main()
