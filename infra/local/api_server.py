"""`chalice local`, with the deployed API's answer for unknown routes.

Builds the server as `chalice local --stage local` does (project config, the stage's
environment variables, route validation, thread-local current_request) but answers each
request through ProblemGateway, so an unknown path is a 404 problem+json as deployed.
Run alone with `python -m infra.local.api_server [port]`; `make run` starts it in-process.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

from chalice.local import ChaliceRequestHandler, LocalDevServer, ThreadedHTTPServer

from infra.local.gateway import ProblemGateway

ROOT = Path(__file__).resolve().parents[2]
STAGE = "local"
# `chalice local` gives every request the source IP 127.0.0.1, so all local clients share
# one per-IP budget: a script of 51 registrations exhausted sign-in and OTP limits. The
# limits stay as they are for people; scripted clients (tests/e2e, bench) start the stack
# with these (docs/accounts.md "Rate limits" names each setting).
SCRIPTED_CLIENT_LIMITS = {
    "BOOKING_LOGIN_IP_LIMIT": "100000",
    "BOOKING_OTP_IP_LIMIT": "100000",
    "BOOKING_OTP_PHONE_LIMIT": "1000",
    "BOOKING_REGISTER_IP_LIMIT": "100000",
}


class ProblemRequestHandler(ChaliceRequestHandler):
    def __init__(self, request: Any, client_address: Any, server: Any, app_object: Any, config: Any) -> None:
        from http.server import BaseHTTPRequestHandler

        self.local_gateway = ProblemGateway(app_object, config)
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)

    # http.server answers methods without a do_<METHOD> with 501 text/html; these go to the
    # gateway, which answers 405 problem+json with Allow (infra/local/gateway.py).
    do_TRACE = do_CONNECT = ChaliceRequestHandler._generic_handle

    def log_message(self, format: str, *args: Any) -> None:
        # Access lines without query strings: they may carry tokens (e.g. unsubscribe links).
        sys.stderr.write("api " + re.sub(r"\?\S*", "", format % args) + "\n")


# The standard library listens with a backlog of 5: a burst of 30 clients saw 5 resets.
LISTEN_BACKLOG = 512


class QuietThreadedHTTPServer(ThreadedHTTPServer):
    """One thread per connection (as chalice local), with a listen queue a burst fits in."""

    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True
    block_on_close = False  # server_close does not wait for keep-alive browsers

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up early (curl | head) is not an error worth a traceback.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def create_server(host: str, port: int) -> LocalDevServer:
    from chalice.cli.factory import CLIFactory
    from chalice.deploy.validate import validate_routes
    from chalice.local import CustomLocalChalice, LocalChalice

    factory = CLIFactory(project_dir=str(ROOT), environ=os.environ)  # the stage's variables reach the app
    config = factory.create_config_obj(chalice_stage_name=STAGE)
    app = config.chalice_app
    validate_routes(app.routes)
    # As chalice.local.create_local_server: current_request becomes thread-local.
    if not isinstance(app, LocalChalice):
        CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
        app.__class__ = CustomLocalChalice
    return LocalDevServer(
        app, config, host, port, handler_cls=ProblemRequestHandler, server_cls=QuietThreadedHTTPServer
    )


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("API_PORT", "8000"))
    create_server("127.0.0.1", port).serve_forever()


if __name__ == "__main__":
    main()
