"""The running bot serves what `kb learned accept` wrote in a shell: the knowledge watcher picks up learned.yaml."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.core.knowledge.history import KnowledgeHistory
from bot.core.knowledge.store import KnowledgeStore
from bot.core.knowledge.watch import KnowledgeWatcher
from bot.core.learning import candidates as cs
from bot.core.matching.examples import read_examples
from tests.core.learning.conftest import ROOT
from tests.core.learning.test_loop import ALICE, QUESTION, RIGHT


async def test_an_example_accepted_in_a_shell_serves_in_the_running_bot_and_a_broken_file_keeps_it(
    make_loop, tmp_path: Path, caplog
) -> None:
    running = make_loop()  # the bot
    store = KnowledgeStore(
        ROOT / "knowledge",
        KnowledgeHistory(tmp_path / "history.sqlite3"),
        consumers=[running.engine],
        kb=running.engine.kb,
    )
    watcher = KnowledgeWatcher(store, interval=3600)
    watcher.add_poll(running.poll_learned)
    assert await watcher.check() is None
    assert running.engine.decide(QUESTION).action == "suggest"

    shell = make_loop()  # `python -m bot kb learned accept ID`: another process, the same database and folder
    candidate = shell.note_pick(QUESTION, RIGHT, ALICE)
    assert candidate is not None
    shell.accept(candidate.id, by="cli:mod")
    shell.wait_for_retraining()
    assert running.store.get(candidate.id).status == cs.SERVED
    assert running.engine.decide(QUESTION).action == "suggest"  # not yet: nothing has looked at the file

    await watcher.check()
    decision = running.engine.decide(QUESTION)
    assert (decision.action, decision.entry_id) == ("answer", RIGHT)
    served = running.engine.meaning
    assert served is not None and (QUESTION, RIGHT) in [(e.text, e.entry_id) for e in served.examples]
    assert not running.poll_learned()  # unchanged since: nothing to do

    learned = running.learned_path
    assert learned is not None
    good = learned.read_text(encoding="utf-8")
    learned.write_text(good + "  - text: [never closed\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="bot.core.learning.loop"):
        await watcher.check()
        await watcher.check()
    (warning,) = [r.getMessage() for r in caplog.records if r.name == "bot.core.learning.loop"]
    assert str(learned) in warning and "line" in warning and "still serving" in warning
    decision = running.engine.decide(QUESTION)
    assert (decision.action, decision.entry_id) == ("answer", RIGHT)  # the last good state

    learned.write_text(good.replace(f"topic: {RIGHT}", "topic: proposal-cost"), encoding="utf-8")  # a hand edit
    await watcher.check()
    assert running.engine.decide(QUESTION).entry_id == "proposal-cost"
    assert [(e.text, e.entry_id) for e in read_examples(learned)] == [(QUESTION, "proposal-cost")]


def test_the_loops_own_write_is_not_reloaded(make_loop) -> None:
    loop = make_loop(auto_accept=True)
    loop.note_pick(QUESTION, RIGHT, ALICE, message_id=5)
    loop.note_vote(QUESTION, RIGHT, ALICE, True, asker=ALICE, message_id=5)
    loop.wait_for_retraining()
    assert loop.learned_path is not None and loop.learned_path.exists()
    assert not loop.poll_learned()  # it serves what it wrote already
