"""`python -m bot kb unanswered` and `kb teach-group N`: the unanswered queue grouped by meaning, for operators.

Same core as /faq unanswered (bot.core.channel.question_groups): groups largest first, numbered in that order.
`teach-group N` teaches every phrasing of group N to an entry (its closest entry unless --entry) as one
version, acting as `cli:<os user>`, and takes those items off the queue. The running bot shares the
feedback database and picks the changed entry file up with its watcher (or /faq reload).
"""

from __future__ import annotations

import argparse
import json
import sys

from bot.cli import EXIT_FAILED, EXIT_OK, add_config_option
from bot.cli.common import engine_from, settings_from
from bot.cli.kb_versions import operator
from bot.cli.numbers import whole_number
from bot.cli.safe_text import shown
from bot.config import Settings
from bot.core.channel.feedback import FeedbackStore
from bot.core.channel.question_groups import QUEUE_LIMIT, QuestionGroup, group_queue, grouping_in_use
from bot.core.knowledge.store import KnowledgeStore
from bot.core.matching.answers import AnswerEngine
from bot.core.sqlite_files import DatabaseUnavailable

EXAMPLES = 3


def register_queue(commands: argparse._SubParsersAction) -> None:
    """Add `kb unanswered` and `kb teach-group` to the kb command family."""
    unanswered = commands.add_parser("unanswered", help="the unanswered queue grouped by meaning, biggest first")
    unanswered.add_argument("--json", action="store_true", help="print one JSON object")
    add_config_option(unanswered)
    unanswered.set_defaults(handler=run_unanswered)

    teach = commands.add_parser("teach-group", help="teach every phrasing of group N to an entry, as one version")
    teach.add_argument("group", type=whole_number(1), help="the group's number in `kb unanswered`")
    teach.add_argument("--entry", help="the entry to teach (default: the group's closest entry)")
    add_config_option(teach)
    teach.set_defaults(handler=run_teach_group)


def current_groups(settings: Settings, engine: AnswerEngine, feedback: FeedbackStore) -> list[QuestionGroup]:
    """Group the open queue the way /faq unanswered does."""
    items = feedback.list_unanswered(QUEUE_LIMIT)
    return group_queue(
        items,
        engine,
        threshold=settings.feedback.group_similarity,
        meaning_threshold=settings.embedding.group_similarity,
    )


def run_unanswered(args: argparse.Namespace) -> int:
    """Print the queue's groups, biggest first."""
    settings = settings_from(args)
    engine = engine_from(settings)
    feedback = FeedbackStore(settings.feedback.path)
    try:
        groups = current_groups(settings, engine, feedback)
    finally:
        feedback.close()
    # The threshold the grouping used: embedding.group_similarity with the meaning model, else feedback's.
    threshold, embed = grouping_in_use(
        engine, threshold=settings.feedback.group_similarity, meaning_threshold=settings.embedding.group_similarity
    )
    vectors = "lexical" if embed is None else "meaning"
    if args.json:
        doc = {
            "threshold": threshold,
            "vectors": vectors,
            "groups": [{"number": n, **g.to_json()} for n, g in enumerate(groups, start=1)],
        }
        print(json.dumps(doc, ensure_ascii=False))
        return EXIT_OK
    if not groups:
        print("The queue is empty.")
        return EXIT_OK
    total = sum(g.size for g in groups)
    print(f"{len(groups)} group(s), {total} question(s) (similarity threshold {threshold}, {vectors} vectors)")
    for number, group in enumerate(groups, start=1):
        print()
        print(format_group(number, group))
    return EXIT_OK


def format_group(number: int, group: QuestionGroup) -> str:
    """A group as lines: size, why, closest entry; the representative; a few other phrasings; the items.

    The questions are members' words: control characters are shown, never obeyed."""
    why = "no answer"
    if group.kind == "not_helpful":
        why = "Not helpful on " + ", ".join(f"{e} x{n}" for e, n in group.voted_entries())
    closest = f"{group.closest.entry_id} ({group.closest.figure})" if group.closest else "none"
    lines = [f"{number}. {group.size} question(s) · {why} · closest: {closest}", f"   > {shown(group.representative)}"]
    others = group.questions[1:]
    lines.extend(f"   - {shown(q.text)}" + (f" (x{q.count})" if q.count > 1 else "") for q in others[:EXAMPLES])
    if len(others) > EXAMPLES:
        lines.append(f"   … and {len(others) - EXAMPLES} more")
    lines.append("   items: " + ", ".join(str(i) for i in group.item_ids))
    return "\n".join(lines)


def run_teach_group(args: argparse.Namespace) -> int:
    """Teach group N's phrasings to an entry as one version; take them off the queue."""
    settings = settings_from(args)
    engine = engine_from(settings)
    feedback = FeedbackStore(settings.feedback.path)
    try:
        groups = current_groups(settings, engine, feedback)
        if not 1 <= args.group <= len(groups):
            print(f"error: no group {args.group}: the queue has {len(groups)} (see `kb unanswered`)", file=sys.stderr)
            return EXIT_FAILED
        group = groups[args.group - 1]
        entry_id = args.entry or (group.closest.entry_id if group.closest else None)
        if entry_id is None:
            print("error: the group has no closest entry; name one with --entry", file=sys.stderr)
            return EXIT_FAILED
        questions = group.teachable()
        store = KnowledgeStore.from_settings(settings, engine=engine, kb=engine.kb)
        change = store.teach_many(entry_id, [q.text for q in questions], actor=operator())
        state = f"now version {change.version} ({change.summary})" if change.changed else "already had them"
        try:
            cleared = feedback.dismiss_many([i for q in questions for i in q.item_ids])
        except DatabaseUnavailable as exc:  # read-only or full: the teaching stands, the queue says so
            print(
                f"error: taught {entry_id} ({state}), but could not take the question(s) off the queue: {exc}",
                file=sys.stderr,
            )
            return EXIT_FAILED
    finally:
        feedback.close()
    answered = sum(engine.decide(q.text).entry_id == entry_id for q in questions)
    print(f"{entry_id}: {state}; {answered} of {len(questions)} phrasing(s) now get it; {cleared} item(s) cleared")
    if len(questions) < len(group.questions):
        print(f"{len(group.questions) - len(questions)} question(s) too long to be a phrasing stay in the queue")
    return EXIT_OK
