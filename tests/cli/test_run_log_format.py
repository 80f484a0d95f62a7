"""`python -m bot run` logs with an ISO 8601 time on every line, tracebacks included, and still redacts the token."""

from __future__ import annotations

import datetime as dt
import io
import logging
import re

from bot.cli.run import REDACTED, install_redaction, stamp_log_lines

TOKEN = "MTIzNDU2Nzg5MDEy.GhIjKl.mnopqrstuvwxyz0123456789"
ISO_LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00) ")


def test_every_line_starts_with_the_records_iso_time_and_the_token_stays_out() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("test.iso-time")
    logger.handlers[:] = [logging.StreamHandler(stream)]
    logger.propagate = False
    install_redaction(TOKEN, logger)
    stamp_log_lines(logger)
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    logger.warning("cannot reach Discord (%s)", f"Bot {TOKEN}")
    try:
        raise ValueError(f"Authorization: Bot {TOKEN}")
    except ValueError:
        logger.exception("request failed")
    lines = stream.getvalue().splitlines()
    assert len(lines) > 3 and TOKEN not in stream.getvalue()
    stamps = [ISO_LINE.match(line) for line in lines]
    assert all(stamps), lines
    assert all(dt.datetime.fromisoformat(m.group(1)) >= before for m in stamps if m)
    assert lines[0].endswith(f"WARNING test.iso-time: cannot reach Discord (Bot {REDACTED})")
    assert lines[-1].endswith(f"ValueError: Authorization: Bot {REDACTED}")
    assert "Traceback (most recent call last)" in lines[2]
