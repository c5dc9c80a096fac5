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
- ``Conform``: the rules /openapi.json states that no standard JSON Schema keyword can (the
  ``x-`` extensions of chalicelib/schemas/common.py, plus ``formatMinimum``/``formatMaximum``
  and ``x-max-days-ahead`` of the date types, which schemathesis does not read). A positive
  case is made to meet them from what the schema says, as a client reading it would: a
  cursor is one the same list handed out (fetched first), a server-issued token one the world
  was sent, an id one of an existing object, a phone number one that exists, a date inside its
  stated bounds. Negative cases are left as generated. Nothing is dropped or filtered.
"""

from __future__ import annotations

import contextlib
import re
import urllib.parse
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
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
    """Ids of existing objects (path parameters), the callers' headers, and what a client of
    these objects knows: the date, their fields, the values the server issued to it."""

    path_values: dict[str, str]
    identities: dict[str, dict[str, str]]  # name -> headers ("anonymous" -> {})
    now: datetime = field(default_factory=lambda: datetime.now(UTC))  # the server's clock
    facts: dict[str, Any] = field(default_factory=dict)  # "<object>.<field>" of the path's objects
    issued: dict[str, list[str]] = field(default_factory=dict)  # x-server-issued kind -> values sent to us
    refers: dict[str, list[str]] = field(default_factory=dict)  # x-refers-to kind -> existing ids


@dataclass
class Finding:
    operation: str
    identity: str
    mode: str
    check: str
    title: str
    status: int | None
    example: str  # the shortest curl command that reproduced it
    answer: str = ""  # the start of the response body (a problem names the refused field)

    @property
    def key(self) -> tuple[str, str]:
        return (self.operation, self.check)

    def line(self) -> str:
        where = f"{self.operation} as {self.identity} ({self.mode})"
        answer = f"\n    -> {self.answer}" if self.answer else ""
        return f"{where}: {self.check}: {self.title} [{self.status}]\n    {self.example}{answer}"


@dataclass
class Report:
    findings: dict[tuple[str, str, str, str], Finding] = field(default_factory=dict)
    cases: int = 0
    # values Conform put into positive cases, by rule ("cursor", "x-refers-to", ...)
    conformed: Counter[str] = field(default_factory=Counter)

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
            # Positive cases meet what the schema states beyond standard keywords; negative ones
            # are sent as generated (their violation is the point).
            hooks = _conforming(operation, world, headers, report) if mode is GenerationMode.POSITIVE else None
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed or None, hooks=hooks)
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
        answer = ""
        try:
            response = case.call(headers=headers or None)
            status = response.status_code
            answer = response.text[:400]
            case.validate_response(response, headers=headers or None)
        except (FailureGroup, Failure) as error:
            failures = list(error.exceptions) if isinstance(error, FailureGroup) else [error]
            for failure in failures:
                check = _check_name(failure)
                report.add(Finding(label, identity, mode, check, failure.title, status, _curl(case, headers), answer))

    return send


def operations(app: Callable[..., Any]) -> list[Any]:
    """Every operation of the document the app serves at /openapi.json, bound to ``app``."""
    import schemathesis

    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


# --- conforming positive cases to what the schema states ------------------------------------


def _pick(options: list[Any], seed: Any) -> Any:
    """A deterministic choice (the run is derandomized; str hashes are salted per process)."""
    return options[zlib.crc32(repr(seed).encode()) % len(options)]


@dataclass(frozen=True)
class _Bounds:
    low: date | datetime | None = None
    high: date | datetime | None = None

    def meet(self, low: date | datetime | None, high: date | datetime | None) -> _Bounds:
        return _Bounds(
            low if self.low is None or (low is not None and low > self.low) else self.low,
            high if self.high is None or (high is not None and high < self.high) else self.high,
        )


def _parse_when(text: Any, kind: str) -> date | datetime | None:
    if not isinstance(text, str):
        return None
    try:
        if kind == "date":
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


@cache
def _phone_numbers() -> list[str]:
    """Numbers that exist: libphonenumber's example for each region it knows (the library the
    server checks with), in E.164 and in the spaced international form the pattern allows."""
    import phonenumbers

    numbers = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        example = phonenumbers.example_number(region)
        if example is not None:
            numbers.append(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))
            numbers.append(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL))
    return [n for n in numbers if len(n) <= 32]


def _depends(schema: Any, names: Mapping[str, Any]) -> bool:
    """Whether a field's x-date-bounds name one of its siblings (so it is conformed after them)."""
    bounds = schema.get("x-date-bounds", {}) if isinstance(schema, Mapping) else {}
    if not bounds and isinstance(schema, Mapping):
        bounds = next((o.get("x-date-bounds", {}) for o in schema.get("anyOf", ()) if isinstance(o, Mapping)), {})
    terms = {term for expressions in bounds.values() for e in expressions for term in re.split(r"[+-]", e)}
    return bool(terms & set(names))


@dataclass
class Conform:
    """Makes one operation's positive cases meet the rules its schema states in extensions."""

    operation: Any
    world: World
    headers: dict[str, str]
    conformed: Counter[str] = field(default_factory=Counter)
    _cursors: dict[str, str | None] = field(default_factory=dict)

    # --- schema walking

    def _resolve(self, schema: Any) -> Any:
        while isinstance(schema, Mapping) and "$ref" in schema:
            node: Any = self.operation.schema.raw_schema
            for part in str(schema["$ref"]).removeprefix("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    def _value(self, schema: Any, value: Any, siblings: Mapping[str, Any]) -> Any:
        schema = self._resolve(schema)
        if not isinstance(schema, Mapping) or value is None:
            return value
        for option in schema.get("anyOf", ()):
            option = self._resolve(option)
            if isinstance(option, Mapping) and option.get("type") not in (None, "null"):
                # Keywords beside anyOf (a field's x- extensions) hold for every option.
                outer = {key: item for key, item in schema.items() if key not in ("anyOf", "type")}
                value = self._value({**outer, **option}, value, siblings)
        if isinstance(value, dict) and "properties" in schema:
            return self._object(schema, value)
        if isinstance(value, list) and "items" in schema:
            return [self._value(schema["items"], item, siblings) for item in value]
        if isinstance(value, str):
            return self._text(schema, value, siblings)
        return value

    def _object(self, schema: Mapping[str, Any], value: dict[str, Any]) -> dict[str, Any]:
        result = dict(value)
        properties = schema.get("properties", {})
        # Fields bounded by siblings after the siblings they name (valid_from before valid_until).
        ordered = sorted(result, key=lambda name: _depends(self._resolve(properties.get(name, {})), result))
        for name in ordered:
            if name in properties:
                result[name] = self._value(properties[name], result[name], result)
        return result

    def _text(self, schema: Mapping[str, Any], value: str, siblings: Mapping[str, Any]) -> str:
        issued = schema.get("x-server-issued")
        if isinstance(issued, Mapping) and self.world.issued.get(str(issued.get("kind"))):
            self.conformed[str(issued["kind"])] += 1
            return str(_pick(self.world.issued[str(issued["kind"])], value))
        kind = schema.get("x-refers-to")
        if isinstance(kind, str) and self.world.refers.get(kind):
            self.conformed["x-refers-to"] += 1
            return str(_pick(self.world.refers[kind], value))
        if "x-phone-number" in schema:
            self.conformed["x-phone-number"] += 1
            return str(_pick(_phone_numbers(), value))
        if schema.get("format") in ("date", "date-time"):
            moved = self._when(schema, value, siblings)
            self.conformed["date moved into its bounds"] += moved != value
            return moved
        return value

    # --- dates

    def _when(self, schema: Mapping[str, Any], value: str, siblings: Mapping[str, Any]) -> str:
        kind = str(schema["format"])
        bounds = _Bounds(_parse_when(schema.get("formatMinimum"), kind), _parse_when(schema.get("formatMaximum"), kind))
        step = timedelta(days=1) if kind == "date" else timedelta(minutes=1)
        ahead = schema.get("x-max-days-ahead")
        if isinstance(ahead, int):
            # The server counts from its own now; a date is a day short of it to be safe.
            latest = self.world.now + timedelta(days=ahead)
            bounds = bounds.meet(None, latest.date() - step if kind == "date" else latest - step)
        rules = schema.get("x-date-bounds", {})
        for rule, expressions in rules.items():
            for expression in expressions:
                at = self._expression(expression, kind, siblings, rule)
                if at is None:
                    continue
                if rule == "min":
                    bounds = bounds.meet(at, None)
                elif rule == "after":
                    bounds = bounds.meet(at + step, None)
                elif rule == "max":
                    bounds = bounds.meet(None, at)
                elif rule == "before":
                    bounds = bounds.meet(None, at - step)
        current = _parse_when(value, kind)
        low, high = bounds.low, bounds.high
        if current is not None and (low is None or current >= low) and (high is None or current <= high):
            return value
        if low is None or high is None or high < low:
            return value  # nothing to aim at: left as generated (a finding will say why)
        span = int((high - low) / step)
        moment = low + step * (zlib.crc32(value.encode()) % (span + 1))
        return moment.isoformat()

    def _expression(self, expression: str, kind: str, siblings: Mapping[str, Any], rule: str) -> Any:
        """``today+venue.horizon_days``, ``today-30``, ``from+30``, ``code.valid_from``: one
        date (today, a sibling field, a fact of the path's object) plus or minus days."""
        base: date | datetime | None = None
        days = 0
        for sign, term in re.findall(r"([+-]?)\s*([^+\s-][^+-]*)", expression):
            term = term.strip()
            factor = -1 if sign == "-" else 1
            if term.isdigit():
                days += factor * int(term)
                continue
            if term == "today":
                # The venue's today is within a day of UTC's: take the side that holds anywhere.
                today = self.world.now.date() if kind == "date" else self.world.now
                base = today + timedelta(days=1 if rule in ("min", "after") else -1)
                continue
            known = siblings.get(term, self.world.facts.get(term))
            if isinstance(known, int):
                days += factor * known
            elif isinstance(known, str):
                base = _parse_when(known, kind)
                if base is None:
                    return None
            else:
                return None  # a term this case does not carry (e.g. a sibling left out)
        return None if base is None else base + timedelta(days=days)

    # --- the case

    def __call__(self, context: Any, case: Any) -> Any:
        parameters = self.operation.definition.raw.get("parameters", [])
        if case.query:
            query = dict(case.query)
            for parameter in sorted(
                (p for p in parameters if p.get("in") == "query" and p["name"] in query),
                key=lambda p: _depends(p.get("schema", {}), query),
            ):
                schema = parameter.get("schema", {})
                issued = schema.get("x-server-issued", {})
                if issued.get("kind") == "cursor":
                    cursor = self._cursor(case, parameter["name"])
                    if cursor is None:
                        del query[parameter["name"]]  # no second page: a client sends none
                    else:
                        query[parameter["name"]] = cursor
                    self.conformed["cursor" if cursor else "cursor left out (no next page)"] += 1
                    continue
                query[parameter["name"]] = self._value(schema, query[parameter["name"]], query)
            case.query = query
        body = self.operation.definition.raw.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None and isinstance(case.body, dict | list):
            case.body = self._value(body.get("schema", {}), case.body, {})
        return case

    def _cursor(self, case: Any, name: str) -> str | None:
        """The next_cursor this list hands out for the same query (first page of one)."""
        query = {k: v for k, v in case.query.items() if k not in (name, "limit")}
        key = repr(sorted(query.items())) + repr(sorted((case.path_parameters or {}).items()))
        if key not in self._cursors:
            first = self.operation.Case(path_parameters=case.path_parameters, query={**query, "limit": 1})
            response = first.call(headers=self.headers or None)
            with contextlib.suppress(ValueError, AttributeError):
                self._cursors[key] = response.json().get("next_cursor")
            self._cursors.setdefault(key, None)
        return self._cursors[key]


def _conforming(operation: Any, world: World, headers: dict[str, str], report: Report) -> Any:
    """A schemathesis hook dispatcher whose ``map_case`` runs ``Conform`` on each case."""
    from schemathesis.hooks import HookDispatcher, HookScope

    hooks = HookDispatcher(scope=HookScope.TEST)
    conform = Conform(operation, world, headers, report.conformed)

    def map_case(context: Any, case: Any) -> Any:
        return conform(context, case)

    hooks.register_hook_with_name(map_case, "map_case")
    return hooks
