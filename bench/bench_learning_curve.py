"""The learning curve: replay real posts as channel traffic, learn from the asker's picks and votes, measure others.

Usage: python bench/bench_learning_curve.py [--rounds 3] [--seed 0] [--teach 3]

1. The real dev posts (knowledge/examples/forum-posts.yaml, 36 questions and the posts that must get
   silence) are split by thread (their source page) into two halves of about the same size.
2. The model is trained WITHOUT any of them: a temporary copy of knowledge/ whose examples folder holds
   only the member questions and off-topic posts (the guard measures on those too).
3. One half is replayed through the support desk (bot/core/channel/desk.py), in --rounds chunks of
   threads, each post by its own member. A simulated asker is honest: offered "Did you mean…" with the
   right entry among the choices, they pick it and vote the answer Helpful; answered, they vote Helpful
   when it is right and Not helpful when it is wrong; silence, nothing.
4. After each chunk a simulated moderator works through the unanswered queue as `kb unanswered` and the
   teach form would: of the chunk's questions the bot was silent on, the first --teach are taught as
   phrasings of their true entry (a post longer than a phrasing may be is shortened at a word, as a
   moderator would in the form) and the loop records each as `taught`. Then what the loop proposes is
   accepted (every pending candidate that names an entry, as a moderator would on /faq learned), and each
   "not this entry" candidate (a Not helpful vote on a wrong answer) is moved to the asker's true label:
   its entry, or off-topic for a post that must get silence (an opinion, `why: lenient`, is left). The
   guarded retrain runs: the clash guard first holds an accepted question the knowledge labels otherwise
   and settles one it labels the same as a duplicate (bot/core/learning/clashes.py), then the examples
   serve only if the guard finds no harm on the labelled sets.
5. The other half is measured after each round: answered right / wrong, helped (of its questions) and
   silent (of its posts that must get silence). Round 0 is the same model before any learning: the
   baseline of the same run. The posts replayed so far are asked again too (what the loop learned about
   its own traffic). Then the halves swap roles.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import Settings, load_settings  # noqa: E402
from bot.core.channel.desk import Posted, Reply, SupportDesk  # noqa: E402
from bot.core.channel.feedback import FeedbackStore  # noqa: E402
from bot.core.channel.policy import MessageFacts  # noqa: E402
from bot.core.errors import BotError  # noqa: E402
from bot.core.knowledge.files import WriterLock  # noqa: E402
from bot.core.knowledge.history import KnowledgeHistory  # noqa: E402
from bot.core.knowledge.loader import load_knowledge  # noqa: E402
from bot.core.knowledge.model import MAX_PHRASING_CHARS  # noqa: E402
from bot.core.knowledge.store import KnowledgeStore  # noqa: E402
from bot.core.learning import candidates as cs  # noqa: E402
from bot.core.learning.candidates import CandidateStore  # noqa: E402
from bot.core.learning.learned_file import served_examples  # noqa: E402
from bot.core.learning.loop import LearningLoop  # noqa: E402
from bot.core.matching.answers import AnswerEngine  # noqa: E402
from bot.core.matching.cross_validation import Labelled, Outcomes  # noqa: E402
from bot.core.matching.embeddings.meaning import load_meaning  # noqa: E402
from tests.shared_cache import EMBEDDING_CACHE  # noqa: E402

FORUM = ROOT / "knowledge" / "examples" / "forum-posts.yaml"
CHANNEL, BOT, MODERATOR = 1, 999, 7


@dataclasses.dataclass(frozen=True)
class Post:
    text: str
    entry_id: str | None  # None: must get silence
    thread: str
    lenient: bool = False


def forum_posts() -> list[Post]:
    data = yaml.safe_load(FORUM.read_text(encoding="utf-8"))
    posts = [Post(q["text"], q["topic"], q["source"]) for q in data["questions"]]
    posts += [Post(o["text"], None, o["source"], o.get("why") == "lenient") for o in data["off_topic"]]
    return posts


def split_by_thread(posts: list[Post], seed: int) -> tuple[list[Post], list[Post]]:
    """Two halves with no thread in both, of about the same number of questions."""
    threads: dict[str, list[Post]] = {}
    for post in posts:
        threads.setdefault(post.thread, []).append(post)
    order = sorted(threads)
    random.Random(seed).shuffle(order)
    halves: tuple[list[Post], list[Post]] = ([], [])
    for thread in sorted(order, key=lambda t: -sum(p.entry_id is not None for p in threads[t])):
        smaller = min(halves, key=lambda h: (sum(p.entry_id is not None for p in h), len(h)))
        smaller.extend(threads[thread])
    return halves


def setting_up(work: Path) -> Settings:
    """A copy of knowledge/ without the forum posts, and settings whose files all live in work."""
    shutil.copytree(ROOT / "knowledge", work / "knowledge", ignore=shutil.ignore_patterns("forum-posts.yaml"))
    base = load_settings(ROOT / "config.yaml")
    return dataclasses.replace(
        base,
        knowledge=dataclasses.replace(
            base.knowledge, path=work / "knowledge", history_path=work / "history.sqlite3", watch_interval_seconds=0
        ),
        embedding=dataclasses.replace(
            base.embedding, examples_path=work / "knowledge" / "examples", cache_path=EMBEDDING_CACHE
        ),
        learning=dataclasses.replace(base.learning, path=work / "learning.sqlite3", auto_accept=False),
        discord=dataclasses.replace(
            base.discord, support_channel_ids=(CHANNEL,), entry_cooldown_seconds=0, member_rate_limit_count=10**6
        ),
    )


def measure(engine: AnswerEngine, posts: list[Post]) -> Outcomes:
    outcomes = Outcomes()
    for post in posts:
        outcomes.add(Labelled(post.text, post.entry_id, lenient=post.lenient), engine.decide(post.text))
    return outcomes


async def replay(
    desk: SupportDesk, loop: LearningLoop, posts: list[Post], first_id: int, unanswered: list[Post]
) -> dict[str, int]:
    """Each post from its own member through the desk; the honest asker picks and votes; silent questions queue."""
    seen = {"answer": 0, "suggest": 0, "silent": 0, "picked": 0, "votes": 0}
    for n, post in enumerate(posts, start=first_id):
        facts = MessageFacts(n, False, False, CHANNEL, None, True, post.text, message_id=n, jump_url=f"m/{n}")
        plan = await desk.plan(facts, bot_user_id=BOT)
        decision = plan.decision
        if plan.reply is Reply.ANSWER and plan.entry_id is not None:
            desk.settle(facts, plan, Posted(10**9 + n, f"r/{n}"))
            seen["answer"] += 1
            seen["votes"] += 1
            right = plan.entry_id == post.entry_id
            loop.note_vote(post.text, plan.entry_id, n, right, asker=n, message_id=10**9 + n)
        elif plan.reply is Reply.SUGGEST and decision is not None:
            seen["suggest"] += 1
            shown = [c.entry_id for c in decision.candidates[:3]]
            if post.entry_id in shown:
                seen["picked"] += 1
                loop.note_pick(post.text, post.entry_id, n, message_id=10**9 + n)
                loop.note_vote(post.text, post.entry_id, n, True, asker=n, message_id=10**9 + n)
        else:
            seen["silent"] += 1
        if plan.reply is not Reply.ANSWER and post.entry_id is not None and not post.lenient:
            unanswered.append(post)  # what `kb unanswered` lists (a suggestion left unpicked queues too)
    return seen


def teach_unanswered(store: KnowledgeStore, loop: LearningLoop, queue: list[Post], count: int) -> int:
    """The moderator teaches the first `count` queued questions as phrasings of their true entry."""
    taught = 0
    for post in queue[:count]:
        assert post.entry_id is not None
        text = post.text if len(post.text) <= MAX_PHRASING_CHARS else post.text[:MAX_PHRASING_CHARS].rsplit(" ", 1)[0]
        try:
            store.teach(post.entry_id, text, actor=f"discord:{MODERATOR}")
        except BotError as exc:  # e.g. the text is already another entry's phrasing: the moderator moves on
            print(f"      teach refused: {exc}")
            continue
        loop.note_teach(post.text, post.entry_id, MODERATOR)
        taught += 1
    del queue[:count]
    return taught


def accept_proposed(loop: LearningLoop, asked: dict[str, Post]) -> tuple[list[int], int, list[str]]:
    """Accept every pending candidate that names an entry; move each "not this entry" one to the asker's label.

    asked: the replayed posts by their text as the loop stores it. A candidate the clash guard marked is
    left (the moderator sees the clash). Return (the ids accepted, of them auto-acceptable, what the moved went to).
    """
    accepted: list[int] = []
    auto, moved = 0, []
    for c in loop.store.with_status(cs.PENDING):
        post = asked.get(c.question)
        if c.known is not None or (c.entry_id is None and (post is None or post.lenient)):
            continue
        result = c.entry_id or (post.entry_id if post else None) or cs.OFF_TOPIC
        moved += [] if c.entry_id else [result]
        auto += any(s.signal == cs.PICK for s in c.signals) and any(s.signal == cs.HELPFUL for s in c.signals)
        loop.store.decide(c.id, cs.ACCEPTED, by="bench: accept what the loop proposes", result=result)
        accepted.append(c.id)
    return accepted, auto, moved


def row(label: str, o: Outcomes) -> str:
    return (
        f"  {label:<24} right {o.rate(o.right):6.1%}  wrong {o.rate(o.wrong):5.1%}  helped {o.rate(o.helped):6.1%}"
        f"  silent {o.rate(o.off_topic_silent, True):6.1%}  ({o.answerable} questions, {o.off_topic} must-be-silent)"
    )


def direction(replayed: list[Post], measured: list[Post], rounds: int, teach: int, name: str) -> list[Outcomes]:
    with tempfile.TemporaryDirectory(prefix="learning-curve-") as tmp:
        work = Path(tmp)
        settings = setting_up(work)
        kb = load_knowledge(settings.knowledge.path)
        engine = AnswerEngine(kb, settings.matcher, load_meaning(settings.embedding))
        feedback = FeedbackStore(work / "feedback.sqlite3")
        desk = SupportDesk.from_settings(settings, engine, explains_charges=False, feedback=feedback)
        lock = WriterLock(work / "kb.lock")
        store = KnowledgeStore(
            settings.knowledge.path, KnowledgeHistory(settings.knowledge.history_path), consumers=[engine], kb=kb
        )
        queue: list[Post] = []
        loop = LearningLoop(
            CandidateStore(settings.learning.path),
            engine,
            settings.learning,
            examples_path=settings.embedding.examples_path,
            lock=lock,
        )
        print(
            f"{name}: replay {len(replayed)} posts ({sum(p.entry_id is not None for p in replayed)} questions), "
            f"measure {len(measured)} ({sum(p.entry_id is not None for p in measured)} questions)"
        )
        curve = [measure(engine, measured)]
        print(row("round 0 (no learning)", curve[0]))
        threads = sorted({p.thread for p in replayed}, key=[p.thread for p in replayed].index)
        asked = {" ".join(p.text.split())[: cs.MAX_QUESTION_CHARS]: p for p in replayed}
        so_far: list[Post] = []
        for r in range(rounds):
            chunk = set(threads[r::rounds])
            posts = [p for p in replayed if p.thread in chunk]
            so_far += posts
            started = time.perf_counter()
            seen = asyncio.run(replay(desk, loop, posts, 1000 * (r + 1), queue))
            taught = teach_unanswered(store, loop, queue, teach)
            if engine.meaning is not None:
                engine.meaning.wait_for_training()  # the head retrained on the taught phrasings
            accepted, auto, moved = accept_proposed(loop, asked)
            report = loop.retrain() if accepted else None
            served = len(report.served) if report else 0
            held = len(report.held) if report else 0
            after = [loop.store.get(i) for i in accepted]
            clashed = sum(c.status == cs.PENDING and c.known is not None for c in after)
            duplicates = sum(c.status == cs.SERVED and c.known is not None for c in after)
            if engine.meaning is not None:
                engine.meaning.wait_for_training()
            curve.append(measure(engine, measured))
            print(row(f"round {r + 1} ({len(posts)} replayed)", curve[-1]))
            print(row("  replayed, asked again", measure(engine, so_far)))
            print(
                f"      replay: {seen['answer']} answered, {seen['suggest']} suggested ({seen['picked']} picked), "
                f"{seen['silent']} silent; taught {taught}; accepted {len(accepted)} ({auto} pick + Helpful, "
                f"not-this moved to {', '.join(moved) or 'none'}), clash-held {clashed}, duplicates {duplicates}, "
                f"served {served}, held {held}; {time.perf_counter() - started:.1f} s"
            )
        print("    the measured half's questions still not answered right, after the last round (why flat or not):")
        for post in measured:
            decision = engine.decide(post.text)
            if post.entry_id is None or post.lenient or decision.entry_id == post.entry_id:
                continue
            ranked = [c.entry_id for c in engine.rank(post.text, limit=5)]
            place = ranked.index(post.entry_id) + 1 if post.entry_id in ranked else "-"
            learned = sum(e.entry_id == post.entry_id for e in served_examples(loop.learned_path))
            print(
                f"      {post.entry_id:<28} {decision.action:<8} score {decision.score:.2f}; "
                f"right entry ranked {place}; {learned} learned example(s) of it; {decision.reason[:60]}"
            )
        loop.close()
        feedback.close()
    return curve


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--teach", type=int, default=3, help="questions the moderator teaches from the queue a round")
    args = parser.parse_args()
    first, second = split_by_thread(forum_posts(), args.seed)
    started = time.perf_counter()
    curves = [
        direction(first, second, args.rounds, args.teach, "A -> B"),
        direction(second, first, args.rounds, args.teach, "B -> A"),
    ]
    print("both directions pooled (each half measured while the other was replayed):")
    for r in range(args.rounds + 1):
        pooled = Outcomes()
        for curve in curves:
            for key in ("answerable", "right", "wrong", "helped", "off_topic", "off_topic_silent"):
                setattr(pooled, key, getattr(pooled, key) + getattr(curve[r], key))
        print(row(f"round {r}", pooled))
    print(f"total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
