"""API fuzzing from the app's own OpenAPI description (schemathesis 4), over real HTTP.

Every operation of ``/api/v1/openapi.json`` gets cases that fit its schema (positive)
and cases that do not (negative), sent to the live server with a valid device token;
half of them also carry valid sync version headers so the fuzzer reaches the bodies
instead of stopping at the header check. The number of examples is bounded so the run
stays well under a minute on both databases.

- **No 5xx, ever** (QUALITY.md): every 5xx is collected with the exact request (method,
  path, query, headers, body and a curl line) and the test asserts that the list is
  empty, printing it otherwise.
- **Responses conform** to the description where that is practical: the status code
  is documented, the content type matches, the body fits the response schema.
  Mismatches are collected the same way and asserted on too.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sync.ops import PROTOCOL_VERSION
from sync.schema import SCHEMA_VERSION
from tests.conftest import LiveServer
from tests.server.conftest import World
from tests.server.conftest import world as world

#: Examples per operation and generation mode: more where a request body can go wrong.
EXAMPLES = int(os.environ.get("MOTCUA_FUZZ_EXAMPLES", "8"))
BODY_EXAMPLES = int(os.environ.get("MOTCUA_FUZZ_BODY_EXAMPLES", "40"))
VERSION_HEADERS = {
    "X-Motcua-Protocol": str(PROTOCOL_VERSION),
    "X-Motcua-App": "0.1.0",
    "X-Motcua-Schema": str(SCHEMA_VERSION),
}
Case = schemathesis.Case[Any]

# Photo chunks (PATCH /blobs) are raw bytes, like application/octet-stream.
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")

CONFORMANCE_CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass(frozen=True)
class Finding:
    """One request that broke a rule, with all it takes to send it again."""

    rule: str
    operation: str
    status: int
    method: str
    path: str
    query: dict[str, Any]
    headers: dict[str, str]
    body: str
    curl: str
    detail: str

    def line(self) -> str:
        return (
            f"[{self.rule}] {self.operation} -> {self.status}\n"
            f"    {self.method} {self.path} query={self.query} body={self.body[:500]}\n"
            f"    headers={self.headers}\n    {self.curl[:800]}\n    {self.detail[:600]}"
        )


def _body_text(case: Case) -> str:
    body = getattr(case, "body", None)
    if body is None or type(body).__name__ == "NotSet":
        return "<none>"
    if isinstance(body, bytes):
        return repr(body[:300])
    try:
        return json.dumps(body, ensure_ascii=False, default=repr)
    except (TypeError, ValueError):
        return repr(body)


def _finding(rule: str, case: Case, response: Any, headers: dict[str, str], detail: str) -> Finding:
    shown = {
        k: ("Bearer <device token>" if k == "Authorization" else v) for k, v in headers.items()
    }
    noise = {"user-agent", "accept-encoding", "accept", "connection", "content-length"}
    sent = {k: v for k, v in (dict(case.headers or {}) | shown).items() if k.lower() not in noise}
    curl = case.as_curl_command(headers=shown)
    return Finding(
        rule=rule,
        operation=f"{case.operation.method.upper()} {case.operation.path}",
        status=int(response.status_code),
        method=case.method.upper(),
        path=case.formatted_path,
        query=dict(case.query or {}),
        headers={k: str(v) for k, v in sent.items()},
        body=_body_text(case),
        curl=curl,
        detail=detail,
    )


def _run_operation(
    operation: Any,
    mode: GenerationMode,
    send: Callable[[Case, bool], None],
) -> None:
    has_body = operation.method.upper() in ("POST", "PATCH", "PUT")

    @settings(
        max_examples=BODY_EXAMPLES if has_body else EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), valid_versions=st.booleans())
    def fuzz(case: Case, valid_versions: bool) -> None:
        send(case, valid_versions)

    fuzz()


def test_fuzzed_requests_get_no_5xx_and_conforming_answers(
    live_server: LiveServer, world: World
) -> None:
    started = time.monotonic()
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json", timeout=10)
    session = requests.Session()
    server_errors: list[Finding] = []
    nonconforming: dict[tuple[str, str, int], Finding] = {}
    counts = {"requests": 0, "operations": 0}

    def send(case: Case, valid_versions: bool) -> None:
        headers = {"Authorization": f"Bearer {world.a.token}"}
        if valid_versions:
            headers |= VERSION_HEADERS
        response = case.call(base_url=live_server.url, session=session, headers=headers, timeout=30)
        counts["requests"] += 1
        if response.status_code >= 500:
            server_errors.append(
                _finding("5xx", case, response, headers, response.content[:400].decode("latin-1"))
            )
            return
        try:
            case.validate_response(response, checks=CONFORMANCE_CHECKS, headers=headers)
        except FailureGroup as group:
            key = (case.operation.method, case.operation.path, int(response.status_code))
            detail = " | ".join(
                f"{failure.title}: {' '.join(str(failure.message).split())}"
                for failure in group.exceptions
            )
            nonconforming.setdefault(key, _finding("conformance", case, response, headers, detail))

    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        counts["operations"] += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _run_operation(operation, mode, send)
            except Unsatisfiable:
                # No input can break an operation without parameters or body.
                assert mode is GenerationMode.NEGATIVE, operation.label
    session.close()

    seconds = time.monotonic() - started
    print(
        f"\nFUZZ operations={counts['operations']} requests={counts['requests']} "
        f"5xx={len(server_errors)} nonconforming={len(nonconforming)} seconds={seconds:.1f}"
    )
    for finding in [*server_errors, *nonconforming.values()]:
        print(finding.line())
    assert counts["operations"] >= 15
    assert not server_errors, "server errors:\n" + "\n".join(f.line() for f in server_errors)
    assert not nonconforming, "responses that do not match the OpenAPI description:\n" + (
        "\n".join(f.line() for f in nonconforming.values())
    )
