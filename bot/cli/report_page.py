"""`kb report --html`: one self-contained page of the insights, to open in any browser or send to a team.

Nothing outside the page is referenced: the style is inline, the chart is the /faq insights PNG as a data
URI, there is no script. Every string that comes from the knowledge base or from members (questions,
phrasings, entry ids) goes through `html.escape`. Each headline figure carries `data-figure="<key>"`
(the key of `kb report --json`'s totals), so a test can read the page's numbers back.
"""

from __future__ import annotations

import base64
import datetime as dt
from html import escape
from typing import Any

from bot.core.insights.figures import EntryFigures, Insights
from bot.ui.insights_chart import render_png

LABELS = {
    "answer": "answered",
    "earlier": "pointed to an earlier answer",
    "suggest": "suggested",
    "explain": "private explanation offered",
    "rate_limited": "rate limited",
    "silent": "silent",
}

STYLE = """
body{background:#1e1f22;color:#dbdee1;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
margin:0;padding:24px}
main{max-width:1100px;margin:auto}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #3f4147;padding-bottom:4px}
.muted{color:#949ba4}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{background:#2b2d31;border-radius:8px;padding:10px 16px;min-width:120px}
.card b{display:block;font-size:26px;color:#fff}
img{max-width:100%;height:auto;border-radius:8px;display:block}
table{border-collapse:collapse;width:100%;background:#2b2d31;border-radius:8px;overflow:hidden}
th,td{padding:6px 10px;text-align:left;border-bottom:1px solid #3f4147;vertical-align:top}
th{background:#313338;color:#fff;font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.flag{display:inline-block;border-radius:4px;padding:0 6px;margin-right:4px;font-size:12px;background:#4e5058}
.stale{background:#f0b232;color:#000}.unused{background:#80848e}.down{background:#da373c}
ul{margin:4px 0 0 18px;padding:0}
"""


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _card(key: str, label: str, value: str) -> str:
    return f'<div class="card">{escape(label)}<b data-figure="{key}">{escape(value)}</b></div>'


def _flags(e: EntryFigures) -> str:
    flags = []
    if e.stale:
        flags.append('<span class="flag stale">stale</span>')
    if not e.uses and not e.removed:
        flags.append('<span class="flag unused">unused</span>')
    if e.not_helpful:
        flags.append('<span class="flag down">voted down</span>')
    if e.removed:
        flags.append('<span class="flag">removed</span>')
    return "".join(flags)


def _entries_table(insights: Insights) -> str:
    rows = "".join(
        f'<tr data-entry="{escape(e.entry_id)}"><td><code>{escape(e.entry_id)}</code> {_flags(e)}<br>'
        f'<span class="muted">{escape(e.question)}</span></td>'
        f'<td class="n">{e.uses}</td><td class="n">{e.helpful}</td><td class="n">{e.not_helpful}</td>'
        f"<td>{e.reviewed or '–'}</td><td>{e.last_used or 'never'}</td></tr>"
        for e in sorted(insights.entries, key=lambda e: (-e.uses, e.entry_id))
    )
    columns = ("entry", "uses", "helpful", "not helpful", "last reviewed", "last used")
    head = "<tr>" + "".join(f"<th>{c}</th>" for c in columns) + "</tr>"
    return f"<table>{head}{rows}</table>"


def _days_table(insights: Insights) -> str:
    kinds = list(LABELS)
    head = "<tr><th>day</th><th>questions</th>" + "".join(f"<th>{escape(LABELS[k])}</th>" for k in kinds)
    head += "<th>answer rate</th><th>helpful</th><th>not helpful</th><th>chatter</th></tr>"
    rows = "".join(
        f"<tr><td>{d.date}</td><td class='n'>{d.questions}</td>"
        + "".join(f"<td class='n'>{d.counts.get(k, 0)}</td>" for k in kinds)
        + f"<td class='n'>{_percent(d.answer_rate)}</td><td class='n'>{d.helpful}</td>"
        f"<td class='n'>{d.not_helpful}</td><td class='n'>{d.chatter}</td></tr>"
        for d in reversed(insights.days)
    )
    return f"<table>{head}{rows}</table>"


def _groups(insights: Insights) -> str:
    if not insights.groups:
        return '<p class="muted">The unanswered queue is empty.</p>'
    rows = "".join(
        f"<tr><td class='n'>{g.size}</td><td>{'voted not helpful' if g.kind == 'not_helpful' else 'no answer'}</td>"
        f"<td><b>{escape(g.representative)}</b><ul>"
        + "".join(f"<li>{escape(p)}</li>" for p in g.phrasings[1:])
        + f"</ul></td><td>{'<code>' + escape(g.closest) + '</code>' if g.closest else '–'}</td></tr>"
        for g in insights.groups
    )
    return f"<table><tr><th>questions</th><th>why</th><th>phrasings</th><th>closest entry</th></tr>{rows}</table>"


def _quality(quality: dict[str, Any] | None) -> str:
    if not quality:
        return '<p class="muted">Not computed yet: run <code>python -m bot kb eval</code>.</p>'
    engine, computed = (escape(str(quality.get(key, ""))) for key in ("engine", "computed_at"))
    parts = [f'<p class="muted">{engine}, computed {computed}</p>']
    for section, title in (("held_in", "held-in"), ("cross_validated", "cross-validated"), ("held_out", "held out")):
        sets = quality.get(section) or {}
        if not isinstance(sets, dict) or not sets:
            continue
        rows = "".join(
            f"<tr><td>{escape(str(name))}</td><td class='n'>{_num(f, 'questions')}</td>"
            f"<td class='n'>{_rate(f, 'right')}</td><td class='n'>{_rate(f, 'wrong')}</td>"
            f"<td class='n'>{_rate(f, 'helped')}</td><td class='n'>{_num(f, 'off_topic')}</td>"
            f"<td class='n'>{_rate(f, 'silent')}</td></tr>"
            for name, f in sets.items()
            if isinstance(f, dict)
        )
        parts.append(
            f"<h3>{title}</h3><table><tr><th>set</th><th>questions</th><th>right</th><th>wrong</th><th>helped</th>"
            f"<th>off-topic</th><th>silent</th></tr>{rows}</table>"
        )
    return "".join(parts)


def _num(figures: dict[str, Any], key: str) -> str:
    value = figures.get(key)
    return escape(str(value)) if isinstance(value, int) else "–"


def _rate(figures: dict[str, Any], key: str) -> str:
    value = figures.get(key)
    return _percent(float(value)) if isinstance(value, int | float) else "–"


def render_page(insights: Insights, *, generated: dt.datetime) -> str:
    """The whole report as one HTML document."""
    chart = base64.b64encode(render_png(insights)).decode("ascii")
    by = insights.by_decision
    cards = "".join(
        [
            _card("questions", "questions", str(insights.total("questions"))),
            _card("answer_rate", "answered", _percent(insights.answer_rate)),
            _card("helpful_ratio", "helpful", _percent(insights.helpful_ratio)),
            _card("helpful", "voted helpful", str(insights.total("helpful"))),
            _card("not_helpful", "voted not helpful", str(insights.total("not_helpful"))),
            _card("chatter", "chatter (not counted)", str(insights.total("chatter"))),
            _card("refused", "replies Discord refused", str(insights.total("refused"))),
        ]
    )
    decisions = "".join(
        f'<tr><td>{escape(LABELS[k])}</td><td class="n" data-decision="{k}">{n}</td></tr>' for k, n in by.items()
    )
    stale = ", ".join(f"<code>{escape(e.entry_id)}</code>" for e in insights.stale()) or "none"
    unused = ", ".join(f"<code>{escape(e.entry_id)}</code>" for e in insights.unused()) or "none"
    title = f"FAQ insights {insights.first} – {insights.last}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{STYLE}</style></head>
<body><main>
<h1>{escape(title)}</h1>
<p class="muted">Generated {generated.isoformat(timespec="minutes")} (UTC) by <code>python -m bot kb report</code>.
Questions are the decisions recorded in the support channels and by <code>/ask</code>; chatter settled before
the model is counted apart. Answered: an answer or a pointer to an earlier one that was posted, or a suggestion
the asker picked.</p>
<div class="cards">{cards}</div>
<img alt="Questions per day stacked by decision, with the answer rate and the helpful ratio" width="640" height="360"
 src="data:image/png;base64,{chart}">
<h2>Decisions</h2><table><tr><th>decision</th><th>questions</th></tr>{decisions}</table>
<h2>Not reviewed for {insights.stale_after_days} days</h2><p>{stale}</p>
<h2>Nobody needed in the period</h2><p>{unused}</p>
<h2>Largest unanswered groups</h2>{_groups(insights)}
<h2>Every entry</h2>{_entries_table(insights)}
<h2>Per day</h2>{_days_table(insights)}
<h2>Answer quality (<code>kb eval</code>)</h2>{_quality(insights.quality)}
</main></body></html>
"""


def plain_report(insights: Insights) -> str:
    """`kb report` with neither --html nor --json: the headline figures as a few lines of plain text."""
    helpful, not_helpful = insights.total("helpful"), insights.total("not_helpful")
    lines = [
        f"{insights.first} – {insights.last}: {insights.total('questions')} questions, "
        f"answered {_percent(insights.answer_rate)}, helpful {_percent(insights.helpful_ratio)} "
        f"({helpful} helpful, {not_helpful} not helpful)",
        "by decision: " + ", ".join(f"{LABELS[kind]} {n}" for kind, n in insights.by_decision.items()),
        f"chatter (not counted) {insights.total('chatter')}, replies Discord refused {insights.total('refused')}",
        f"unanswered groups {len(insights.groups)}, stale entries {len(insights.stale())}, "
        f"entries unused {len(insights.unused())} of {len(insights.entries)}",
        "(--html FILE writes the whole report as one page, --json prints every figure)",
    ]
    return "\n".join(lines)
