"""Answer quality as a member sees it, measured honestly: held-in, cross-validated and held-out.

The outcomes that matter in a channel:
* answered right / answered wrong (a wrong confident answer is the worst thing the bot can do);
* helped: the right answer, or the right entry among the suggestions;
* silent: nothing posted at all (a suggestion is a message too) on what must get silence.

Cross-validation splits the labelled examples into folds; for each fold the meaning head is trained
on the knowledge base's phrasings and the *other* folds only, and the fold is then decided by a
ranker that never saw it. Heads are cached per fold, so a second run is fast.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from bot.core.knowledge.model import KnowledgeBase
from bot.core.matching.embeddings.chatter_gate import cached_gate
from bot.core.matching.embeddings.meaning import MeaningModel
from bot.core.matching.embeddings.ranker import MeaningRanker
from bot.core.matching.embeddings.semantic import SemanticIndex
from bot.core.matching.examples import Example
from bot.core.matching.matcher import Decision, Matcher

FOLDS = 5
# An opinion or complaint: silence and a relevant factual answer are both fine; never counted as wrong.
LENIENT = "lenient"


@dataclass(frozen=True)
class Labelled:
    """A text, the entry that answers it (None: must get silence), and which set it came from."""

    text: str
    entry_id: str | None
    source: str = ""
    lenient: bool = False
    kept_aside: bool = False  # a real post from a thread kept aside from all tuning (threads.py)


@dataclass
class Outcomes:
    """Counts of what happened to a labelled set; rates are over answerable or off-topic items."""

    answerable: int = 0
    right: int = 0
    wrong: int = 0
    helped: int = 0
    answerable_silent: int = 0
    off_topic: int = 0
    off_topic_silent: int = 0
    off_topic_answered: int = 0
    lenient: int = 0
    misses: list[tuple[Labelled, Decision]] = field(default_factory=list)

    def add(self, item: Labelled, decision: Decision) -> None:
        suggested = {c.entry_id for c in decision.candidates} if decision.action == "suggest" else set()
        if item.lenient:
            self.lenient += 1
            return
        if item.entry_id is None:
            self.off_topic += 1
            self.off_topic_silent += decision.action == "silent"
            self.off_topic_answered += decision.action == "answer"
            if decision.action != "silent":
                self.misses.append((item, decision))
            return
        self.answerable += 1
        right = decision.action == "answer" and decision.entry_id == item.entry_id
        self.right += right
        self.wrong += decision.action == "answer" and decision.entry_id != item.entry_id
        self.helped += right or item.entry_id in suggested
        self.answerable_silent += decision.action == "silent"
        if not right:
            self.misses.append((item, decision))

    def rate(self, count: int, of_off_topic: bool = False) -> float:
        total = self.off_topic if of_off_topic else self.answerable
        return count / total if total else 0.0

    def summary(self) -> str:
        parts = []
        if self.answerable:
            parts.append(
                f"answered right {self.rate(self.right):.1%}, answered wrong {self.rate(self.wrong):.1%}, "
                f"helped {self.rate(self.helped):.1%} of {self.answerable} questions"
            )
        if self.off_topic:
            parts.append(
                f"silent on {self.rate(self.off_topic_silent, True):.1%} of {self.off_topic} off-topic "
                f"(answered {self.off_topic_answered})"
            )
        return "; ".join(parts) or "nothing to measure"


def labelled_from_examples(examples: Iterable[Example]) -> list[Labelled]:
    return [Labelled(e.text, e.entry_id, e.origin, e.lenient, e.kept_aside) for e in examples]


def tally(items: Sequence[Labelled], decide: Callable[[str], Decision]) -> Outcomes:
    outcomes = Outcomes()
    for item in items:
        outcomes.add(item, decide(item.text))
    return outcomes


def fold_of(
    items: Sequence[object], folds: int = FOLDS, seed: int = 0, groups: Sequence[object] | None = None
) -> list[int]:
    """Assign each item a fold, shuffled with a fixed seed (the same split on every run).

    Items of one group (real posts of one thread) share a fold; an item whose group is None is alone.
    """
    keys = [(i,) if groups is None or groups[i] is None else ("group", groups[i]) for i in range(len(items))]
    distinct = list(dict.fromkeys(keys))
    random.Random(seed).shuffle(distinct)
    fold_of_key = {key: position % folds for position, key in enumerate(distinct)}
    return [fold_of_key[key] for key in keys]


def fold_rankers(
    meaning: MeaningModel,
    kb: KnowledgeBase,
    matcher: Matcher,
    examples: Sequence[Example],
    folds: int = FOLDS,
    seed: int = 0,
) -> tuple[list[int], list[MeaningRanker]]:
    """For each fold, a ranker whose head was trained without that fold's examples (nor the kept-aside ones).

    Folds group real posts by thread. Kept-aside posts get fold number `folds`: the last ranker, trained
    on every example that is not kept aside. Another seed shuffles the examples into other folds (repeated
    cross-validation: one split of 36 real questions moves a threshold by chance).
    """
    tuning = [e for e in examples if not e.kept_aside]
    tuning_folds = iter(fold_of(tuning, folds, seed=seed, groups=[e.thread for e in tuning]))
    assignment = [folds if e.kept_aside else next(tuning_folds) for e in examples]
    rankers = []
    for fold in range(folds + 1):
        training = [e for e, f in zip(examples, assignment, strict=True) if f not in (fold, folds)]
        index = SemanticIndex.build(kb, training, meaning.encoder, meaning.cache, meaning.settings.head_weight)
        # The chatter gate is learned from the examples too: each fold's gate never saw the fold.
        gate = cached_gate(training, meaning.settings.chatter_threshold, meaning.cache)
        rankers.append(MeaningRanker(matcher, index, meaning.encoder, meaning.confidence, meaning.settings, gate))
    return assignment, rankers


def cross_validate(
    meaning: MeaningModel, kb: KnowledgeBase, matcher: Matcher, examples: Sequence[Example], folds: int = FOLDS
) -> list[Decision]:
    """Decide each example with a ranker that never trained on it, nor on its thread (nor on the kept-aside part)."""
    assignment, rankers = fold_rankers(meaning, kb, matcher, examples, folds)
    return [rankers[fold].decide(e.text) for e, fold in zip(examples, assignment, strict=True)]
