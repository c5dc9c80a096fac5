"""Call recordings for support tickets (RET-6): an operator tool, never an HTTP route.

    python -m chalicelib.cli.support_recordings <ticket_id> <audio file> --operator <user id>
        [--content-type audio/mpeg]

Locally: ``make cli ARGS="chalicelib.cli.support_recordings <ticket> call.mp3 --operator <id>"``.
The file goes to the "recordings" bucket (SSE-KMS) under ``recordings/<ticket>/<recording>``
and its record onto the ticket with the manifest's ``call_recordings`` deadline (3 months):
the bucket's lifecycle rule expires the object on that window and the retention sweep deletes
record and object when it is due. The upload is audited (tenant "platform").
"""

from __future__ import annotations

import argparse
import mimetypes
import sys
from pathlib import Path

from chalicelib import deps, errors
from chalicelib.services import support


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.cli.support_recordings")
    parser.add_argument("ticket_id")
    parser.add_argument("file", type=Path)
    parser.add_argument("--operator", required=True, help="the operator's user id (recorded and audited)")
    parser.add_argument("--content-type", default=None, help="audio/mpeg, audio/ogg, audio/wav or audio/mp4")
    args = parser.parse_args(argv)
    content_type = args.content_type or mimetypes.guess_type(args.file.name)[0] or ""
    try:
        data = args.file.read_bytes()
        recording = support.add_recording(args.operator, args.ticket_id, data, content_type, deps.clock().now())
    except OSError as exc:
        sys.stderr.write(f"cannot read {args.file}: {exc.strerror}\n")
        return 1
    except errors.DomainError as exc:
        sys.stderr.write(f"refused: {exc.detail}\n")
        return 1
    sys.stdout.write(f"recording {recording.recording_id} stored ({recording.size_bytes} bytes)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
