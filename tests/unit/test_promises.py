"""docs/promises.md, the promise catalogue, stays true to the repo.

- every promise id cited in code, tests, docs, bench or infra is a row of the catalogue;
- every ``# proves: ID[, ID...]`` comment in tests/ names catalogued ids;
- every ``enforced`` promise is named by at least one ``proves:`` comment, and no
  ``planned`` one is (a proven promise is enforced: change its status);
- the files the catalogue names (enforced by, proven by) exist, and each "proven by" file
  really names that promise in a ``proves:`` comment.

Only repo files are read: the catalogue is the repo's own.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = "docs/promises.md"
SCANNED_DIRS = ("chalicelib", "tests", "docs", "bench", "infra")
SCANNED_FILES = ("app.py", "README.md")
SUFFIXES = frozenset({".py", ".md", ".toml"})

_ROW = re.compile(r"^\|\s*([A-Z]+-\d+)\s*\|")
_STATUS = re.compile(r"^(enforced|planned \(issue #\d+\))$")
_PROVES = re.compile(r"^\s*#\s*proves:(.*)$")
_ID = re.compile(r"^[A-Z]+-\d+$")
_PATH = re.compile(r"`([\w.-]+/[\w./-]*)`")  # a backticked path (it has a slash)


@dataclass(frozen=True)
class Promise:
    status: str
    enforced_by: tuple[str, ...]
    proven_by: tuple[str, ...]
    line: int


def parse_catalogue(text: str) -> tuple[dict[str, Promise], list[str]]:
    """The catalogue's table rows ``| id | promise | enforced by | proven by | status |``."""
    promises: dict[str, Promise] = {}
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        match = _ROW.match(line)
        if not match:
            continue
        where = f"{CATALOGUE}:{number}"
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 5:
            problems.append(f"{where}: {match[1]} has {len(cells)} cells, expected 5")
            continue
        promise_id, _, enforced_by, proven_by, status = cells
        if not _STATUS.match(status):
            problems.append(f"{where}: {promise_id} status {status!r} is neither enforced nor planned (issue #N)")
        if promise_id in promises:
            problems.append(f"{where}: {promise_id} is listed twice (first at line {promises[promise_id].line})")
        promises[promise_id] = Promise(
            status, tuple(_PATH.findall(enforced_by)), tuple(_PATH.findall(proven_by)), number
        )
    return promises, problems


def id_pattern(ids: set[str]) -> re.Pattern[str]:
    """Any id with a prefix the catalogue uses, listed or not: the prefix, a hyphen, a number."""
    prefixes = sorted({promise_id.split("-")[0] for promise_id in ids})
    return re.compile(rf"\b(?:{'|'.join(prefixes)})-\d+\b")


def repo_files(root: Path) -> Iterator[tuple[str, str]]:
    """(relative path, text) of every scanned file."""
    paths = [root / name for name in SCANNED_FILES if (root / name).is_file()]
    for directory in SCANNED_DIRS:
        if (root / directory).is_dir():
            paths += sorted(p for p in (root / directory).rglob("*") if p.is_file() and p.suffix in SUFFIXES)
    for path in paths:
        if "__pycache__" not in path.parts:
            yield path.relative_to(root).as_posix(), path.read_text(encoding="utf-8")


def unknown_citations(files: list[tuple[str, str]], promises: dict[str, Promise]) -> list[str]:
    pattern = id_pattern(set(promises))
    return [
        f"{name}:{number}: cites {found}, which {CATALOGUE} does not list"
        for name, text in files
        for number, line in enumerate(text.splitlines(), 1)
        for found in pattern.findall(line)
        if found not in promises
    ]


def proves_comments(files: list[tuple[str, str]]) -> tuple[dict[str, set[str]], list[str]]:
    """{id: test files naming it in a ``proves:`` comment}, and malformed comments."""
    proved: dict[str, set[str]] = defaultdict(set)
    problems: list[str] = []
    for name, text in files:
        if not name.startswith("tests/"):
            continue
        for number, line in enumerate(text.splitlines(), 1):
            match = _PROVES.match(line)
            if not match:
                continue
            for token in (t.strip() for t in match[1].split(",")):
                if _ID.match(token):
                    proved[token].add(f"{name}:{number}")
                else:
                    problems.append(f"{name}:{number}: proves: {token!r} is not an id like RET-2")
    return proved, problems


def proof_problems(files: list[tuple[str, str]], promises: dict[str, Promise]) -> list[str]:
    proved, problems = proves_comments(files)
    for promise_id, places in sorted(proved.items()):
        if promise_id not in promises:
            problems += [f"{place}: proves {promise_id}, which {CATALOGUE} does not list" for place in sorted(places)]
    for promise_id, promise in sorted(promises.items()):
        places = sorted(proved.get(promise_id, ()))
        proving_files = {place.rsplit(":", 1)[0] for place in places}
        where = f"{CATALOGUE}:{promise.line}: {promise_id}"
        if promise.status == "enforced" and not places:
            problems.append(f"{where} is enforced, but no test names it in a proves: comment")
        if promise.status.startswith("planned") and places:
            problems.append(f"{where} is planned, but proven by {', '.join(places)}: make it enforced")
        problems += [
            f"{where} lists {path} as proof, but it has no proves: {promise_id}"
            for path in promise.proven_by
            if path not in proving_files
        ]
    return problems


def path_problems(root: Path, promises: dict[str, Promise]) -> list[str]:
    return [
        f"{CATALOGUE}:{promise.line}: {promise_id} names {path}, which does not exist"
        for promise_id, promise in sorted(promises.items())
        for path in promise.enforced_by + promise.proven_by
        if not (root / path).exists()
    ]


def check(root: Path) -> list[str]:
    """Every problem with the catalogue under ``root`` (empty when it is true)."""
    promises, problems = parse_catalogue((root / CATALOGUE).read_text(encoding="utf-8"))
    if not promises:
        return [*problems, f"{CATALOGUE}: no promise rows found"]
    files = list(repo_files(root))
    return (
        problems + unknown_citations(files, promises) + proof_problems(files, promises) + path_problems(root, promises)
    )


# --- the repo ---------------------------------------------------------------------------------


def test_the_catalogue_is_true_to_the_repo():
    problems = check(ROOT)
    assert not problems, "docs/promises.md is out of step with the repo:\n" + "\n".join(problems)


def test_the_catalogue_lists_statuses_a_reader_can_trust():
    promises, problems = parse_catalogue((ROOT / CATALOGUE).read_text(encoding="utf-8"))
    assert not problems
    # Every area of the catalogue is there, and planned promises point at an issue
    assert {p.split("-")[0] for p in promises} >= {"DATA", "SHARE", "SEC", "NOTE", "RIGHT", "RET"}
    assert all(p.status == "enforced" or "issue #" in p.status for p in promises.values())
    # An enforced promise says which code keeps it
    assert not [pid for pid, p in promises.items() if p.status == "enforced" and not p.enforced_by]


# --- the checker itself -----------------------------------------------------------------------

PROVES = "# " + "proves:"  # assembled, so the scan of this very file does not read it as a claim
ROW = "| {id} | A promise. | `chalicelib/a.py` | {proof} | {status} |\n"


def _mini_repo(root: Path, *, planted: str = "", tests: str = "") -> Path:
    (root / "docs").mkdir()
    (root / "chalicelib").mkdir()
    (root / "tests").mkdir()
    (root / CATALOGUE).write_text(
        "| id | promise | enforced by | proven by | status |\n|---|---|---|---|---|\n"
        + ROW.format(id="SEC-1", proof="`tests/test_a.py`", status="enforced")
        + ROW.format(id="RET-4", proof="—", status="planned (issue #16)")
    )
    (root / "chalicelib" / "a.py").write_text(f'"""Keeps SEC-1{planted}."""\n')
    (root / "tests" / "test_a.py").write_text(f"def test_a():\n    {PROVES} SEC-1\n{tests}")
    return root


def test_the_checker_passes_a_true_catalogue(tmp_path):
    assert check(_mini_repo(tmp_path)) == []


def test_the_checker_flags_an_unknown_cited_id_with_file_and_line(tmp_path):
    unknown = "SEC-" + "99"
    problems = check(_mini_repo(tmp_path, planted=f" and {unknown}"))
    assert problems == [f"chalicelib/a.py:1: cites {unknown}, which docs/promises.md does not list"]


def test_the_checker_flags_proofs_of_unknown_planned_and_malformed_ids(tmp_path):
    unknown = "SEC-" + "77"
    claims = f"    {PROVES} RET-4\n    {PROVES} {unknown}, RET2\n"
    problems = check(_mini_repo(tmp_path, tests=claims))
    assert "tests/test_a.py:4: proves: 'RET2' is not an id like RET-2" in problems
    assert f"tests/test_a.py:4: proves {unknown}, which docs/promises.md does not list" in problems
    assert any("RET-4 is planned, but proven by tests/test_a.py:3" in p for p in problems)
    assert any(f"tests/test_a.py:4: cites {unknown}" in p for p in problems)


def test_the_checker_flags_an_enforced_promise_without_proof_and_missing_files(tmp_path):
    root = _mini_repo(tmp_path)
    (root / "tests" / "test_a.py").write_text("def test_a():\n    pass\n")
    (root / "chalicelib" / "a.py").unlink()
    problems = check(root)
    assert "docs/promises.md:3: SEC-1 is enforced, but no test names it in a proves: comment" in problems
    assert "docs/promises.md:3: SEC-1 lists tests/test_a.py as proof, but it has no proves: SEC-1" in problems
    assert "docs/promises.md:3: SEC-1 names chalicelib/a.py, which does not exist" in problems


def test_the_checker_flags_a_bad_status_and_a_duplicate_row():
    text = ROW.format(id="SEC-1", proof="—", status="done") + ROW.format(id="SEC-1", proof="—", status="enforced")
    _, problems = parse_catalogue(text)
    assert problems == [
        "docs/promises.md:1: SEC-1 status 'done' is neither enforced nor planned (issue #N)",
        "docs/promises.md:2: SEC-1 is listed twice (first at line 1)",
    ]
