"""Embeds for a member's Connects ledger: history (one embed per balance), explanations, the audit trail.

A history is shown as separate embeds, one per balance: the member's own freelancer balance with its
entries, and each agency's collective balance with the agency entries the member acted on. No embed
or line ever adds them up. Billing methods are shown masked (brand and last four digits only). Every
string from the ledger or typed by a member is escaped with bot.ui.escape (names, ids, jobs, notes).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import discord

from bot.core.knowledge.model import KnowledgeBase
from bot.core.ledger.access import ACTED, ALL, OTHERS_HIDDEN
from bot.core.ledger.explain import Explanation, connects
from bot.core.ledger.models import AccessRecord, History, HistorySection, LedgerEntry, mask_billing_method
from bot.ui.balance_chart import FILENAME
from bot.ui.embeds import DESCRIPTION_LIMIT, FIELD_LIMIT, TITLE_LIMIT, clip
from bot.ui.escape import md_code, md_marked, md_text

PAGE_SIZE = 5
FREELANCER_COLOUR = discord.Colour.green()
AGENCY_COLOUR = discord.Colour.blurple()
EXPLAIN_COLOUR = discord.Colour.teal()
AUDIT_COLOUR = discord.Colour.dark_grey()
EMBED_TOTAL_LIMIT = 6000
FAQ_LINKS = 5


def page_count(history: History, page_size: int = PAGE_SIZE) -> int:
    """Return how many pages the history needs (at least one)."""
    longest = max((len(s.entries) for s in history.sections), default=0)
    return max(1, math.ceil(longest / page_size))


def entry_line(entry: LedgerEntry, *, show_actor: bool) -> str:
    """One entry: id, day, kind, signed amount, balance after, job and who acted."""
    sign = "+" if entry.connects > 0 else "−" if entry.connects < 0 else "±"
    when, kind = md_text(entry.occurred_at[:10]), md_text(entry.kind)
    line = f"{md_code(entry.id)} {when} **{kind}** {sign}{abs(entry.connects)} → {entry.balance_after}"
    if entry.job:
        line += f" · job {md_code(entry.job)}"
    if show_actor and entry.actor:
        line += f" · by {md_code(entry.actor)}"
    return line


def section_title(section: HistorySection) -> str:
    """'Ben Okafor — freelancer balance: 70 Connects' (one balance, never a total)."""
    p = section.profile
    what = "agency balance (shared by its members)" if p.is_agency else "own freelancer balance"
    return clip(f"{md_text(p.name)} — {what}: {connects(section.balance)}", TITLE_LIMIT)


def section_note(section: HistorySection, subject_name: str) -> str:
    """Say whose entries the section lists (subject_name is escaped here)."""
    subject_name = md_text(subject_name)
    if section.scope == ACTED:
        role = f" (role: {md_text(section.role.replace('_', ' '))})" if section.role else ""
        note = (
            f"Only the agency entries {subject_name} acted on{role}. The agency's Connects are a separate "
            f"balance from {subject_name}'s own: nothing moves between them."
        )
        return note + (f" {OTHERS_HIDDEN}" if section.others_hidden else "")
    if section.scope == ALL:
        return "Every entry of this profile."
    return "Every entry of this freelancer profile."


def history_embeds(
    history: History, page: int = 0, *, page_size: int = PAGE_SIZE, with_chart: bool = False
) -> list[discord.Embed]:
    """Return one embed per balance for this page of the history (newest entries first)."""
    pages = page_count(history, page_size)
    page = max(0, min(page, pages - 1))
    subject = history.subject.name.split()[0] if history.subject.name else history.subject.id
    embeds = []
    for section in history.sections:
        shown = section.entries[page * page_size : (page + 1) * page_size]
        lines = [entry_line(e, show_actor=section.scope != ACTED) for e in shown]
        if not lines:
            lines = ["No entries on this page." if section.entries else "No entries yet."]
        embed = discord.Embed(
            title=section_title(section),
            description=clip(section_note(section, subject) + "\n\n" + "\n".join(lines), DESCRIPTION_LIMIT),
            colour=AGENCY_COLOUR if section.profile.is_agency else FREELANCER_COLOUR,
        )
        method = mask_billing_method(section.profile.billing_method)
        profile = f"{md_code(section.profile.id)} ({md_text(section.profile.kind)})"
        embed.add_field(name="Profile", value=profile, inline=True)
        embed.add_field(name="Billing method", value=md_text(method) if method else "none on file", inline=True)
        first = page * page_size + 1 if shown else 0
        embed.set_footer(
            text=f"Page {page + 1}/{pages} · entries {first}–{page * page_size + len(shown)} of the newest "
            f"{len(section.entries)} · newest first"
        )
        embeds.append(embed)
    if not embeds:
        title = f"{md_text(history.subject.name)}: no balances to show"
        embeds.append(discord.Embed(title=clip(title, TITLE_LIMIT), colour=AUDIT_COLOUR))
    if with_chart:
        embeds[-1].set_image(url=f"attachment://{FILENAME}")
    return embeds


def explanation_embed(title: str, explanations: Sequence[Explanation], kb: KnowledgeBase | None) -> discord.Embed:
    """The explanation of one entry or one job: the text, the rules it cites, links to the FAQ entries.

    `title` is Discord markdown already (the caller escapes the reference in it: `md_code`)."""
    embed = discord.Embed(title=clip(title, TITLE_LIMIT), colour=EXPLAIN_COLOUR)
    parts = []
    for x in explanations:
        e = x.entry
        head = (
            f"**{md_code(e.id)}** · {md_text(e.occurred_at[:10])} · {md_text(e.kind)} · {connects(e.connects)} "
            f"· {md_code(e.profile)}"
        )
        parts.append(head + "\n" + md_marked(x.text))
    embed.description = clip("\n\n".join(parts), DESCRIPTION_LIMIT)
    rules = list(dict.fromkeys(r for x in explanations for r in x.rules))
    if rules:
        lines = []
        for rule_id in rules:
            rule = kb.rules.get(rule_id) if kb is not None else None
            lines.append(f"`{rule_id}`" + (f": {rule.text}" if rule is not None else ""))
        embed.add_field(name="Rules cited", value=clip("\n".join(lines), FIELD_LIMIT), inline=False)
    else:
        embed.add_field(
            name="Rules cited",
            value="None: no rule the bot knows covers this entry, so it does not guess a reason.",
            inline=False,
        )
    faq_ids = list(dict.fromkeys(f for x in explanations for f in x.faq))[:FAQ_LINKS]
    if faq_ids:
        embed.add_field(name="Read more in the FAQ", value=clip(faq_links(faq_ids, kb), FIELD_LIMIT), inline=False)
    return embed


def faq_links(entry_ids: Sequence[str], kb: KnowledgeBase | None) -> str:
    """One line per FAQ entry: its question linked to its first source, and the command that shows it."""
    lines = []
    for entry_id in entry_ids:
        entry = kb.entries.get(entry_id) if kb is not None else None
        if entry is None:
            lines.append(f"`/faq show id:{entry_id}`")
            continue
        question = clip(entry.question, 120).replace("[", "(").replace("]", ")")
        label = f"[{question}]({entry.sources[0]})" if entry.sources else question
        lines.append(f"{label} · `/faq show id:{entry.id}`")
    return "\n".join(lines)


def audit_embed(records: Sequence[AccessRecord]) -> discord.Embed:
    """The newest ledger lookups: when, who, whose, what, allowed or refused, and why.

    What a lookup asked for holds what the member typed (a reference): every field is escaped."""
    lines = [
        f"{'✅' if r.allowed else '⛔'} {md_code(r.at[:19].replace('T', ' '))} {md_text(r.viewer)} → "
        f"{md_code(r.subject)}: {md_text(r.what)}" + ("" if r.allowed else f" (refused: {md_text(r.reason)})")
        for r in records
    ]
    text = "\n".join(lines) or "No lookups recorded yet."
    while len(text) > DESCRIPTION_LIMIT and lines:
        lines.pop()
        text = "\n".join(lines) + "\n…"
    return discord.Embed(title=f"Ledger lookups: newest {len(records)}", description=text, colour=AUDIT_COLOUR)
