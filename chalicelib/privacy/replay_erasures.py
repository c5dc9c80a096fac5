"""Re-apply every logged erasure: ``python -m chalicelib.privacy.replay_erasures``.

Run it right after a point-in-time restore of the table (docs/operations.md, restore
runbook). The erasure log lives in S3, outside the table's backups, so a restore to a
moment before an account was deleted cannot bring that account back: each logged user
is closed again and their data removed or re-scheduled exactly as at the original
deletion (deadlines count from the original time, so what was due is due at once).
Then run the retention sweep (the hourly schedule, or ``--sweep`` here).
"""

from __future__ import annotations

import argparse
import sys

from chalicelib import deps
from chalicelib.privacy import erasure, sweeps


def replay(*, sweep: bool = False) -> int:
    now = deps.clock().now()
    count = 0
    for user_id, deleted_at in erasure.logged_erasures():
        erasure.apply_erasure(user_id, deleted_at, now)
        count += 1
    if sweep:
        sweeps.run(now)
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sweep", action="store_true", help="run the retention sweep afterwards")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    count = replay(sweep=args.sweep)
    sys.stdout.write(f"replayed {count} erasures\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
