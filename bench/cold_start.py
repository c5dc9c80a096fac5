"""Cold start: the import time of app.py against `import chalice, boto3` (target: at most 1.3x).

Each import runs in a fresh interpreter (as a new Lambda execution environment does),
alternating app / baseline so drifting machine load hits both alike; medians of N runs
(default 15) of wall and CPU time, and the peak RSS after import (ru_maxrss). Over target,
it lists what `python -X importtime` says app.py adds on top of the baseline: the
candidates to import lazily.

Route modules load their pydantic models, services and the SDK on first use, so part of
the work moves to the first request a function serves; that request is timed too (a POST
whose body fails validation: pydantic and the route's models load, no AWS call is made).
Run: ``python -m bench.cold_start [--runs N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 1.3
APP = "import app"
BASELINE = "import chalice, boto3"

PROBE = """
import resource, time
start, cpu_start = time.perf_counter(), time.process_time()
{statement}
elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
usage = resource.getrusage(resource.RUSAGE_SELF)
print(__import__("json").dumps({{"seconds": elapsed, "cpu_seconds": cpu, "maxrss_kb": usage.ru_maxrss}}))
"""

# After `import app`: one API Gateway proxy event, as Lambda would pass it.
FIRST_REQUEST = """
import json
event = {
    "resource": "/v1/auth/otp", "path": "/v1/auth/otp", "httpMethod": "POST",
    "headers": {"content-type": "application/json"},
    "multiValueHeaders": {"content-type": ["application/json"]},
    "queryStringParameters": None, "multiValueQueryStringParameters": None,
    "pathParameters": None, "stageVariables": None, "isBase64Encoded": False,
    "requestContext": {"resourcePath": "/v1/auth/otp", "httpMethod": "POST", "requestId": "bench",
                       "identity": {"sourceIp": "127.0.0.1"}},
    "body": json.dumps({"phone": 42}),
}
assert app.app(event, None)["statusCode"] == 422
"""


def environment() -> dict[str, str]:
    """The settings a deployed function has, with dummy credentials: importing must not call AWS."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOOKING_", "AWS_", "POWERTOOLS_"))}
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "eu-central-1",
            "BOOKING_STAGE": "dev",
            "POWERTOOLS_SERVICE_NAME": "booking",
            "POWERTOOLS_METRICS_NAMESPACE": "BookingPlatform",
            "PYTHONDONTWRITEBYTECODE": "1",  # bytecode is cached after the first run either way
        }
    )
    return env


def measure(statement: str, setup: str = "") -> tuple[float, float, int]:
    """Wall and CPU seconds to run ``statement`` in a fresh interpreter (after the untimed
    ``setup``), and its peak RSS in KiB."""
    out = subprocess.run(  # noqa: S603 - our own interpreter and a fixed statement
        [sys.executable, "-c", setup + "\n" + PROBE.format(statement=statement)],
        cwd=ROOT,
        env=environment(),
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return float(result["seconds"]), float(result["cpu_seconds"]), int(result["maxrss_kb"])


def heaviest_additions(limit: int = 12) -> list[tuple[str, float]]:
    """What app.py imports beyond the baseline: self import time (ms) summed per package.

    chalicelib is split by sub-package (chalicelib.schemas, chalicelib.store, ...), so the
    list says both which libraries and which of our layers cost the time.
    """
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-X", "importtime", "-c", f"{BASELINE}; {APP}"],
        cwd=ROOT,
        env=environment(),
        capture_output=True,
        text=True,
        check=True,
    )
    pattern = re.compile(r"import time:\s+(\d+) \|\s+\d+ \|(\s*)(\S+)")
    baseline_done = False
    totals: dict[str, float] = {}
    for line in out.stderr.splitlines():
        match = pattern.match(line)
        if not match:
            continue
        self_us, indent, module = int(match.group(1)), len(match.group(2)), match.group(3)
        if not baseline_done:  # importtime lists a module when it finishes: boto3 ends the baseline
            baseline_done = indent == 1 and module == "boto3"
            continue
        parts = module.split(".")
        key = ".".join(parts[:2]) if parts[0] == "chalicelib" else parts[0]
        totals[key] = totals.get(key, 0.0) + self_us / 1000
    return sorted(totals.items(), key=lambda item: item[1], reverse=True)[:limit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(sys.argv[1:])

    measure(APP)  # warm the bytecode caches and the page cache for both sides
    measure(BASELINE)
    app_runs: list[tuple[float, float, int]] = []
    base_runs: list[tuple[float, float, int]] = []
    for _ in range(max(args.runs, 1)):
        app_runs.append(measure(APP))
        base_runs.append(measure(BASELINE))

    app_s, app_cpu, app_rss = (statistics.median(run[i] for run in app_runs) for i in range(3))
    base_s, base_cpu, base_rss = (statistics.median(run[i] for run in base_runs) for i in range(3))
    first = [measure(FIRST_REQUEST, setup=APP) for _ in range(max(args.runs // 3, 1))]
    first_s, first_cpu = (statistics.median(run[i] for run in first) for i in range(2))
    ratio, cpu_ratio = app_s / base_s, app_cpu / base_cpu
    verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
    print(f"cold start, {len(app_runs)} alternating runs each, fresh interpreter per run (medians):")
    print(f"  {'':<24} {'wall':>9}   {'CPU':>9}   peak RSS")
    for label, wall, cpu, rss in ((APP, app_s, app_cpu, app_rss), (BASELINE, base_s, base_cpu, base_rss)):
        print(f"  {label:<24} {wall * 1000:6.1f} ms   {cpu * 1000:6.1f} ms   {rss / 1024:6.1f} MiB")
    print(f"  ratio {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU ({verdict} the target of at most {TARGET_RATIO}x)")
    print("  (on a shared machine the CPU ratio is the steadier figure; both should meet the target)")
    print(
        f"  then the first request (invalid POST /v1/auth/otp -> 422; loads pydantic and the route's "
        f"models): {first_s * 1000:.1f} ms wall, {first_cpu * 1000:.1f} ms CPU ({len(first)} runs)"
    )
    if max(ratio, cpu_ratio) > TARGET_RATIO:
        print("  what app.py adds on top of chalice+boto3 (self ms per package, one -X importtime run):")
        for name, ms in heaviest_additions():
            print(f"    {ms:8.1f}  {name}")


if __name__ == "__main__":
    main()
