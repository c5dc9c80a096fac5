"""Run an operator command against the running local stack: `make cli ARGS="<module> <args>"`.

The operator tools (``python -m chalicelib.cli.operators <user_id>``,
``python -m chalicelib.privacy.verify_audit <tenant>``, ...) read the table the settings
name. On AWS that is the stage's table; here it must be the running stack's DynamoDB Local
and moto, whose ports are in ``$LOCAL_DATA_DIR/stack.json`` (written by ``make run``). This
sets the same environment the stack gives the app (``stack.local_environment``) and runs
the module as ``python -m`` would. Only modules under ``chalicelib.cli`` and
``chalicelib.privacy`` are allowed: this is for operator tools, not arbitrary code.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
from collections.abc import Mapping
from pathlib import Path

ALLOWED_PACKAGES = ("chalicelib.cli.", "chalicelib.privacy.")


class NoStack(Exception):
    """No running local stack to talk to (its state file is missing or unreadable)."""


def stack_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The app's environment for the stack whose state file is in ``environ``'s data dir."""
    from infra.local import outbox, stack

    state_file = outbox.data_dir(environ) / outbox.STATE_FILE
    try:
        ports = json.loads(state_file.read_text())
        config = stack.StackConfig(
            api_port=int(ports["api_port"]),
            ddb_port=int(ports["ddb_port"]),
            moto_port=int(ports["moto_port"]),
            telegram_port=int(ports["telegram_port"]),
            data_dir=Path(state_file).parent,
        )
    except (OSError, ValueError, KeyError, TypeError):
        raise NoStack(f"no running local stack ({state_file} is missing): start it with `make run`") from None
    return stack.local_environment(config)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or not args[0].startswith(ALLOWED_PACKAGES):
        sys.stderr.write(
            'usage: make cli ARGS="<module> [args]", e.g. ARGS="chalicelib.privacy.verify_audit platform"; '
            f"modules under {', '.join(p.rstrip('.') for p in ALLOWED_PACKAGES)}\n"
        )
        return 2
    try:
        os.environ.update(stack_environment(os.environ))
    except NoStack as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    saved, sys.argv = sys.argv, list(args)
    try:
        runpy.run_module(args[0], run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = saved
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
