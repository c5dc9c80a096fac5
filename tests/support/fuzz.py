"""Property-based fuzzing of the whole API from its own /openapi.json (schemathesis 4).

- ``wsgi(api)``: a WSGI face for the in-process Chalice app (through tests/support/api.py's
  client and the local gateway), so schemathesis' WSGI transport sends its cases in process:
  no port, no thread, and the checks that re-send a request (ignored_auth) reach it too.
- ``World``: the objects a fuzz run points its path parameters at (a salon, a booking, a
  discount code, a device, an export, a privacy request) and who calls (anonymous, a
  customer holding the booking, the salon's owner).
- ``fuzz(...)``: every generation mode x identity for one operation, with a fixed seed and a
  bounded number of examples; every check failure is collected (none is filtered), keyed by
  (operation, identity, mode, check) with the shortest reproducing curl command seen.
"""

from __future__ import annotations

import contextlib
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import hypothesis.errors
from hypothesis import HealthCheck, Phase

EXAMPLES = 4  # per operation, identity and generation mode


def wsgi(api: Any) -> Callable[..., Iterable[bytes]]:
    """The app as a WSGI callable; requests go through ``api.request`` (the Scan guard sees
    them), without the client's own contract check: schemathesis judges the response."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        # The raw path as sent (percent-escapes intact, as API Gateway sees it); werkzeug's
        # RAW_URI may leave the query out, so the query always comes from QUERY_STRING.
        raw = str(environ.get("RAW_URI") or "").split("?", 1)[0]
        raw = raw or urllib.parse.quote(environ.get("PATH_INFO", "").encode("latin-1"))
        if environ.get("QUERY_STRING"):
            raw += "?" + environ["QUERY_STRING"]
        headers = {
            key[5:].replace("_", "-").title(): value for key, value in environ.items() if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        answer = api.request(environ["REQUEST_METHOD"], raw, raw=body, headers=headers, check_contract=False)
        start_response(f"{answer.status} -", [(k, str(v)) for k, v in answer.headers.items()])
        return [answer.body]

    return application


@dataclass
class World:
    """Ids of existing objects (path parameters) and the callers' headers."""

    path_values: dict[str, str]
    identities: dict[str, dict[str, str]]  # name -> headers ("anonymous" -> {})


@dataclass
class Finding:
    operation: str
    identity: str
    mode: str
    check: str
    title: str
    status: int | None
    example: str  # the shortest curl command that reproduced it

    @property
    def key(self) -> tuple[str, str]:
        return (self.operation, self.check)

    def line(self) -> str:
        where = f"{self.operation} as {self.identity} ({self.mode})"
        return f"{where}: {self.check}: {self.title} [{self.status}]\n    {self.example}"


@dataclass
class Report:
    findings: dict[tuple[str, str, str, str], Finding] = field(default_factory=dict)
    cases: int = 0

    def add(self, finding: Finding) -> None:
        key = (*finding.key, finding.identity, finding.mode)
        known = self.findings.get(key)
        if known is None or len(finding.example) < len(known.example):
            self.findings[key] = finding


def _check_name(failure: Any) -> str:
    names = getattr(type(failure), "checks", ())
    return str(names[0]) if names else type(failure).__name__


def _curl(case: Any, headers: dict[str, str]) -> str:
    with contextlib.suppress(Exception):
        return str(case.as_curl_command(headers=headers)).split("\n\n", 1)[0]
    return f"{case.method} {case.formatted_path}"


def fuzz(operation: Any, world: World, examples: int = EXAMPLES) -> Report:
    """Run every mode x identity against one operation; collect every failure."""
    from schemathesis import GenerationMode

    report = Report()
    wanted = {p["name"] for p in operation.definition.raw.get("parameters", []) if p.get("in") == "path"}
    fixed = {name: world.path_values[name] for name in wanted if name in world.path_values}
    for identity, headers in world.identities.items():
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed or None)
            send = _sender(report, operation.label, identity, headers, mode.value)
            try:
                _bounded(strategy, examples, send)()
            except hypothesis.errors.Unsatisfiable:
                # Nothing to make invalid (no parameters, no body): there are no negative cases.
                assert mode is GenerationMode.NEGATIVE, f"{operation.label}: no positive case"
    return report


def _bounded(strategy: Any, examples: int, send: Callable[[Any], None]) -> Callable[[], None]:
    """``send`` over ``examples`` cases drawn with a fixed seed (no shrinking: failures are
    collected, not raised, so every distinct one is seen in one run)."""

    @hypothesis.settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @hypothesis.given(case=strategy)
    def run(case: Any) -> None:
        send(case)

    return run  # type: ignore[no-any-return]


def _sender(report: Report, label: str, identity: str, headers: dict[str, str], mode: str) -> Callable[[Any], None]:
    from schemathesis.core.failures import Failure, FailureGroup

    def send(case: Any) -> None:
        report.cases += 1
        status: int | None = None
        try:
            response = case.call(headers=headers or None)
            status = response.status_code
            case.validate_response(response, headers=headers or None)
        except (FailureGroup, Failure) as error:
            failures = list(error.exceptions) if isinstance(error, FailureGroup) else [error]
            for failure in failures:
                check = _check_name(failure)
                report.add(Finding(label, identity, mode, check, failure.title, status, _curl(case, headers)))

    return send


def operations(app: Callable[..., Any]) -> list[Any]:
    """Every operation of the document the app serves at /openapi.json, bound to ``app``."""
    import schemathesis

    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]
