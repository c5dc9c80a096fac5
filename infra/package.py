"""`make package STAGE=dev`: the deployable template and zip, offline and without AWS credentials.

1. infra.template builds the merge template from the app and chalicelib.resources;
2. `chalice package --merge-template` writes sam.json and deployment.zip (it fetches
   Lambda-compatible wheels from PyPI, nothing from AWS);
3. the libraries the Lambda Python runtime already provides are dropped from the zip:
   pynamodb requires botocore, which alone is ~16 MB zipped.

Output: build/package/<stage>/{merge-template.json,sam.json,deployment.zip}. `make deploy`
hands sam.json to `aws cloudformation package` / `deploy` (docs/operations.md).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The Lambda Python runtime ships the AWS SDK; a bundled copy only costs size and cold start.
PROVIDED_BY_RUNTIME = ("boto3", "botocore", "s3transfer")
DUMMY_REGION = "eu-central-1"  # chalice needs a region to render ARNs; nothing is called


def default_out_dir(stage: str) -> Path:
    return ROOT / "build" / "package" / stage


def offline_env(stage: str) -> dict[str, str]:
    """The environment without AWS credentials or profiles: packaging must not need them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") or k == "AWS_CA_BUNDLE"}
    env.update(
        AWS_DEFAULT_REGION=os.environ.get("AWS_DEFAULT_REGION", DUMMY_REGION),
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        BOOKING_STAGE=stage,  # the app derives queue names from it at import
    )
    return env


def is_provided_by_runtime(member: str) -> bool:
    top = member.split("/", 1)[0]
    return any(
        top == name or (top.startswith(f"{name}-") and top.endswith(".dist-info")) for name in PROVIDED_BY_RUNTIME
    )


def prune_zip(path: Path) -> list[str]:
    """Rewrite the zip without the runtime-provided libraries; returns what was removed."""
    pruned = path.with_suffix(".pruned.zip")
    removed: list[str] = []
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(pruned, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if is_provided_by_runtime(info.filename):
                removed.append(info.filename)
                continue
            target.writestr(info, source.read(info), compress_type=zipfile.ZIP_DEFLATED)
    pruned.replace(path)
    return removed


def package(stage: str, out_dir: Path | None = None, project_dir: Path = ROOT) -> Path:
    """Build the deployable package for ``stage``; returns the directory holding sam.json."""
    out = (out_dir or default_out_dir(stage)).resolve()
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("sam.json", "deployment.zip", "merge-template.json"):
        (out / stale).unlink(missing_ok=True)
    env = offline_env(stage)
    merge = out / "merge-template.json"
    python = sys.executable
    subprocess.run(
        [python, "-m", "infra.template", "--stage", stage, "--project-dir", str(project_dir), "--out", str(merge)],
        env=env,
        cwd=ROOT,
        check=True,
    )
    chalice = str(Path(python).parent / "chalice")
    subprocess.run(
        [
            chalice,
            "--project-dir",
            str(project_dir),
            "package",
            "--stage",
            stage,
            "--merge-template",
            str(merge),
            str(out),
        ],
        env=env,
        cwd=project_dir,
        check=True,
    )
    prune_zip(out / "deployment.zip")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the deployable CloudFormation package offline.")
    parser.add_argument("--stage", required=True)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    out = package(args.stage, args.out)
    size = (out / "deployment.zip").stat().st_size
    print(f"{out / 'sam.json'}  (deployment.zip {size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
