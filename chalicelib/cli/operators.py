"""Designating operators: only from the command line, by someone with AWS access to the table.

No HTTP route can make anyone an operator. Usage (against the configured stage/table):

    python -m chalicelib.cli.operators <user_id>

The grant is audited (tenant "platform"). It takes effect at the user's next sign-in or
refresh (the flag travels in the access token, lifetime ``access_token_ttl_seconds``).
"""

from __future__ import annotations

import sys

from chalicelib import deps
from chalicelib.services import accounts


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write("usage: python -m chalicelib.cli.operators <user_id>\n")
        return 2
    accounts.grant_operator(argv[0], granted_by="bootstrap-cli", now=deps.clock().now())
    sys.stdout.write("operator granted\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
