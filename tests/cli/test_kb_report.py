"""`kb report --json` and `--html`: the same figures, equal to the decision log's; one self-contained page,
member text escaped, rendered by a real headless browser (Debian's chromium, installed by .ci/run)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from bot.core.channel.feedback import FeedbackStore
from bot.core.insights.decision_log import DecisionLog, Noted
from bot.ui.insights_chart import STACK
from tests.cli.conftest import OperatorFolder
from tests.cli.test_kb_versions import bot

HOSTILE = '<script>alert(1)</script><img src="http://evil.example/x.png"> @everyone **bold**'
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
DAY = 86400


class Page(HTMLParser):
    """Parse strictly: every non-void element closed in order; collect references and figures."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.references: list[str] = []
        self.tags: list[str] = []
        self.figures: dict[str, str] = {}
        self.decisions: dict[str, str] = {}
        self._capture: tuple[dict[str, str], str] | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = {k: v or "" for k, v in attrs}
        self.references += [values[k] for k in ("src", "href", "action", "srcset", "poster") if k in values]
        if "data-figure" in values:
            self._capture = (self.figures, values["data-figure"])
        elif "data-decision" in values:
            self._capture = (self.decisions, values["data-decision"])
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1] if self.open else None}>"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._capture is not None:
            target, key = self._capture
            target[key] = data
            self._capture = None


@pytest.fixture
def config(operator_folder: OperatorFolder) -> Path:
    path = operator_folder(
        knowledge={"path": "knowledge"},
        feedback={"path": "data/feedback.sqlite3"},
        insights={"path": "data/decisions.sqlite3"},
        embedding={"enabled": False},
    )
    data = path.parent / "data"
    log = DecisionLog(data / "decisions.sqlite3")
    now = time.time()
    plan = [
        ("answer", "expiry-rollover", "posted"),
        ("answer", "taxes-vat", "posted"),
        ("answer", "taxes-vat", "refused"),
        ("suggest", "boosted-proposals", "posted"),
        ("silent", None, "none"),
        ("earlier", "taxes-vat", "posted"),
        ("rate_limited", "taxes-vat", "none"),
    ]
    for back in range(3):
        for reply, (kind, entry, outcome) in enumerate(plan):
            log.note(Noted(now - back * DAY, 100, "channel", kind, entry, 0.8, False, outcome, back * 100 + reply))
    log.note(Noted(now - 40 * DAY, 100, "channel", "answer", "taxes-vat", 0.9, False, "posted", 999))  # outside
    log.note_pick(3, "taxes-vat")
    log.note_vote(0, True, changed=False)
    log.note_vote(1, False, changed=False)
    log.note_vote(101, True, changed=False)
    for _ in range(4):
        log.note_chatter(100)
    log.close()
    feedback = FeedbackStore(data / "feedback.sqlite3")
    feedback.record_silence(HOSTILE, score=0.1, channel_id=100, message_id=1, author_id=2)
    feedback.close()
    return path


def from_the_log(path: Path, days: int = 30) -> dict[str, int]:
    """The figures counted straight from the file with SQL, independently of the report's code."""
    first = int(time.time() // DAY) - days + 1
    with sqlite3.connect(path) as conn:
        one = lambda sql: conn.execute(sql, (first,)).fetchone()[0] or 0  # noqa: E731
        return {
            "questions": one("SELECT COUNT(*) FROM decisions WHERE day >= ?"),
            "answered": one(
                "SELECT COUNT(*) FROM decisions WHERE day >= ? AND outcome = 'posted'"
                " AND (decision IN ('answer', 'earlier') OR picked_entry IS NOT NULL)"
            ),
            "helpful": one("SELECT SUM(helpful) FROM decisions WHERE day >= ?"),
            "not_helpful": one("SELECT SUM(not_helpful) FROM decisions WHERE day >= ?"),
            "refused": one("SELECT COUNT(*) FROM decisions WHERE day >= ? AND outcome = 'refused'"),
            "chatter": one("SELECT SUM(count) FROM chatter WHERE day >= ?"),
        }


def test_json_and_html_agree_with_each_other_and_with_the_log(config: Path, tmp_path: Path) -> None:
    page_path = tmp_path / "report.html"
    run = bot("kb", "report", "--json", "--html", str(page_path), "--config", str(config))
    assert run.returncode == 0, run.stderr
    figures = json.loads(run.stdout)
    totals = figures["totals"]
    expected = from_the_log(config.parent / "data" / "decisions.sqlite3")
    assert {k: totals[k] for k in expected} == expected
    assert expected["questions"] == 21 and expected["answered"] == 10  # what the fixture stored, as counted
    assert totals["answer_rate"] == pytest.approx(10 / 21)
    assert figures["unanswered_groups"][0]["representative"] == HOSTILE

    page = Page()
    page.feed(page_path.read_text(encoding="utf-8"))
    page.close()
    assert page.open == []  # every element closed
    assert all(ref.startswith(("data:", "#")) for ref in page.references), page.references
    assert "script" not in page.tags and "link" not in page.tags  # the hostile text stayed text
    assert HOSTILE in "".join(page.text)
    assert page.figures["questions"] == str(totals["questions"])
    assert page.figures["answer_rate"] == f"{totals['answer_rate']:.1%}"
    for key in ("helpful", "not_helpful", "chatter", "refused"):
        assert page.figures[key] == str(totals[key]), key
    assert {k: int(v) for k, v in page.decisions.items()} == totals["by_decision"]


def test_the_page_renders_in_a_headless_browser(config: Path, tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "chromium is not installed: .ci/run installs it (apt-get install chromium)"
    page_path = tmp_path / "report.html"
    assert bot("kb", "report", "--html", str(page_path), "--config", str(config)).returncode == 0
    shot = tmp_path / "shot.png"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
    flags += ["--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}"]
    subprocess.run(
        [chromium, *flags, f"--screenshot={shot}", "--window-size=1200,1400", page_path.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    with Image.open(shot) as image:
        pixels = image.convert("RGB")
        assert pixels.size == (1200, 1400)
        colours = pixels.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 50  # not a blank page
    present = {colour for _, colour in colours}
    assert (30, 31, 34) in present  # the page's own background: the style applied
    answered = STACK[0][2]
    assert sum(n for n, c in colours if c == answered) > 200  # the chart (a data URI) drew its bars


def test_plain_output_is_readable_lines_with_the_logs_figures(config: Path) -> None:
    # Neither --html nor --json (output piped, not a terminal): words and percentages, no Python reprs.
    run = bot("kb", "report", "--config", str(config))
    assert run.returncode == 0, run.stderr
    first, by_decision, *_ = run.stdout.splitlines()
    assert f": 21 questions, answered {10 / 21:.1%}, helpful " in first
    assert by_decision.startswith("by decision: answered ")
    assert not any(mark in run.stdout for mark in ("{", "}", "None", "_"))


@pytest.mark.parametrize(
    ("where", "problem"),
    [("missing/report.html", "no folder "), (".", "it is a folder")],
)
def test_a_page_that_cannot_be_written_is_one_line_before_any_work(config: Path, tmp_path, where, problem) -> None:
    target = tmp_path / where
    run = bot("kb", "report", "--html", str(target), "--config", str(config))
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr == f"error: cannot write the report to {target}: {problem}" + (
        f"{target.parent}\n" if problem.startswith("no folder") else "\n"
    )


def test_days_out_of_range_is_refused_by_the_parser(config: Path) -> None:
    run = bot("kb", "report", "--days", "0", "--config", str(config))
    assert run.returncode == 2 and "--days: must be from 1 to 3,650, got '0'" in run.stderr
