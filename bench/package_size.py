"""Deployment zip size: the app plus its runtime dependencies, boto3/botocore left to Lambda.

Builds the dev package exactly as `make package` does (into a temporary directory) and
reports the zipped and unzipped size and the biggest contributors. Target: under 10 MB
zipped. Run: `.venv/bin/python -m bench.package_size`.
"""

from __future__ import annotations

import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path

TARGET_BYTES = 10 * 1024 * 1024


def contributors(path: Path) -> Counter[str]:
    sizes: Counter[str] = Counter()
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            top = info.filename.split("/", 1)[0]
            if top.endswith(".dist-info"):
                top = top.split("-", 1)[0]
            sizes[top] += info.compress_size
    return sizes


def main() -> None:
    from infra.package import package

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        out = package("dev", Path(tmp))
        elapsed = time.perf_counter() - started
        path = out / "deployment.zip"
        zipped = path.stat().st_size
        with zipfile.ZipFile(path) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
        print(f"deployment.zip: {zipped / 1e6:.2f} MB zipped ({zipped / TARGET_BYTES:.0%} of the 10 MiB target)")
        print(f"unzipped: {unzipped / 1e6:.2f} MB (Lambda limit 250 MB); packaged in {elapsed:.1f} s")
        for name, size in contributors(path).most_common(8):
            print(f"  {size / 1e6:6.2f} MB  {name}")
        print("within target" if zipped < TARGET_BYTES else "OVER TARGET")


if __name__ == "__main__":
    main()
