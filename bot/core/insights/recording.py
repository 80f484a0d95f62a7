"""Turn the desk's reply plan into one decision-log record (the desk's only line about the log)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.insights.decision_log import DECISIONS, DecisionLog, Noted

if TYPE_CHECKING:
    from bot.core.channel.desk import ReplyPlan


def note_plan(
    log: DecisionLog | None,
    channel_id: int,
    plan: ReplyPlan,
    outcome: str = "none",
    reply_message_id: int | None = None,
    *,
    chatter: bool = False,
) -> None:
    """Record a plan once: a speaking one when its send settled (posted or refused), the rest when planned."""
    if log is None:
        return
    if chatter:
        log.note_chatter(channel_id)
        return
    decision = plan.decision
    entry_id = plan.entry_id
    if entry_id is None and decision is not None and decision.action != "silent":
        # A suggestion (or a rate-limited one) is filed under the entry it offered first.
        entry_id = decision.entry_id or (decision.candidates[0].entry_id if decision.candidates else None)
    log.note(
        Noted(
            at=log.now(),
            channel_id=channel_id,
            via=plan.via,
            decision=DECISIONS.get(plan.reply.value, plan.reply.value),
            entry_id=entry_id,
            confidence=round(decision.score, 4) if decision is not None else None,
            followup=plan.followup,
            outcome=outcome,
            reply_message_id=reply_message_id,
        )
    )
