"""Fault injection for the fake Discord: REST calls Discord refuses, the way Discord refuses them.

Mixed into FakeDiscord. `fake.refuse(method, path_regex, status, ...)` makes matching calls answer an
error (with Discord's JSON error body) for the next `times` calls, or until `fault.times` is set to 0;
the call is still recorded in `fake.requests`, with the error body as its `response`. Dropping and
resuming the gateway connection lives with the gateway (fake_gateway.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.e2e.fake_discord import FakeDiscord, RecordedRequest

# Discord's JSON error codes the bot's fault paths care about.
MISSING_ACCESS = 50001
MISSING_PERMISSIONS = 50013
INVALID_FORM_BODY = 50035
UNKNOWN_GUILD = 10004

# The status line discord.py shows for each status (it builds its message from the JSON body).
REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 503: "Service Unavailable"}


@dataclass
class Fault:
    """One injected refusal: matching calls answer `status` with `body` while `times` is above 0."""

    method: str
    pattern: re.Pattern[str]
    status: int
    body: dict[str, Any]
    times: float  # math.inf: until the test sets it to 0
    hits: list[RecordedRequest] = field(default_factory=list)

    def takes(self, rec: RecordedRequest) -> bool:
        return self.times > 0 and rec.method == self.method and self.pattern.fullmatch(rec.path) is not None


class FaultsMixin:
    """`refuse()` and the hook the REST handler calls before routing."""

    faults: list[Fault]

    def refuse(
        self: FakeDiscord,
        method: str,
        pattern: str,
        status: int,
        *,
        code: int = 0,
        message: str | None = None,
        errors: dict[str, Any] | None = None,
        times: float = 1,
    ) -> Fault:
        """Answer the next `times` calls matching method and path regex (below /api/v10) with an error.

        status 503 is a server error discord.py does not retry (500/502/504 it retries with real sleeps).
        """
        body: dict[str, Any] = {"message": message or REASONS.get(status, "Error"), "code": code}
        if errors is not None:
            body["errors"] = errors
        fault = Fault(method, re.compile(pattern), status, body, times)
        self.faults.append(fault)
        return fault

    def injected_fault(self: FakeDiscord, rec: RecordedRequest) -> tuple[int, Any] | None:
        """Return the injected answer for this call, if a fault takes it."""
        for fault in self.faults:
            if fault.takes(rec):
                fault.times -= 1
                fault.hits.append(rec)
                return fault.status, fault.body
        return None


def invalid_field_errors(path: str, text: str) -> dict[str, Any]:
    """Discord's nested `errors` object for one refused field, e.g. path '0.description'."""
    node: dict[str, Any] = {"_errors": [{"code": "BASE_TYPE_BAD_LENGTH", "message": text}]}
    for part in reversed(path.split(".")):
        node = {part: node}
    return node
