"""The guard's rule, item by item: one noisy flip is tolerated, several new wrong answers or a broad loss are not."""

from __future__ import annotations

import pytest

from bot.core.learning.paired import Paired, compare, sign_test
from bot.core.matching.examples import Example
from bot.core.matching.matcher import Candidate, Decision

QUESTIONS = [Example(f"question {i}", "buying-connects") for i in range(600)]
OFF_TOPIC = [Example(f"chatter {i}", None) for i in range(400)]
LABELLED = QUESTIONS + OFF_TOPIC  # 1,000 items: the allowance at 0.2% is 2
SHARE = 0.002


def answer(entry: str) -> Decision:
    return Decision("answer", entry, 0.9, (Candidate(entry, 0.9, ""),), "test")


def suggest(entry: str) -> Decision:
    return Decision("suggest", None, 0.5, (Candidate(entry, 0.5, ""),), "test")


SILENT = Decision("silent", None, 0.1, (), "test")
RIGHT, WRONG, HELPED = answer("buying-connects"), answer("taxes-vat"), suggest("buying-connects")


def baseline() -> list[Decision]:
    return [RIGHT] * len(QUESTIONS) + [SILENT] * len(OFF_TOPIC)


def changed(**at: Decision) -> list[Decision]:
    decisions = baseline()
    for key, decision in at.items():
        decisions[int(key.removeprefix("i"))] = decision
    return decisions


def test_nothing_changed_passes() -> None:
    paired = compare(LABELLED, baseline(), baseline())
    assert paired == Paired(len(LABELLED))
    assert paired.refusal(SHARE) is None


def test_the_allowance_is_a_share_of_the_items_and_at_least_one() -> None:
    assert Paired(1000).allowance(0.002) == 2
    assert Paired(949).allowance(0.002) == 1
    assert Paired(100).allowance(0.002) == 1
    assert Paired(100).allowance(0.0) == 1


def test_a_single_noisy_flip_is_tolerated() -> None:
    # One question newly answered wrong, one off-topic post newly offered a suggestion: cross-validation noise.
    after = changed(i3=WRONG, i700=suggest("taxes-vat"))
    paired = compare(LABELLED, baseline(), after)
    assert (paired.net_wrong, paired.net_posted, paired.worse, paired.better) == (1, 1, 2, 0)
    assert paired.refusal(SHARE) is None
    assert compare(LABELLED[:949], baseline()[:949], after[:949]).refusal(SHARE) is None  # allowance 1


def test_several_new_wrong_answers_are_refused_even_with_many_improvements() -> None:
    before = changed(**{f"i{i}": HELPED for i in range(10, 30)})
    after = changed(i1=WRONG, i2=WRONG, i3=WRONG)  # 20 items got better, 3 newly wrong
    paired = compare(LABELLED, before, after)
    assert (paired.net_wrong, paired.better, paired.worse) == (3, 20, 3)
    assert "3 more labelled item(s) answered wrong (allowed: 2)" in paired.refusal(SHARE)
    # An answer on an off-topic post is a wrong answer too, and a post on off-topic.
    paired = compare(LABELLED, baseline(), changed(i1=WRONG, i601=answer("x"), i602=answer("y")))
    assert paired.net_wrong == 3 and paired.net_posted == 2
    assert "answered wrong" in paired.refusal(SHARE)


def test_a_wrong_answer_fixed_pays_for_one_made() -> None:
    before = changed(i5=WRONG, i6=WRONG)
    after = changed(i1=WRONG, i2=WRONG)  # the same number of wrong answers, other items
    paired = compare(LABELLED, before, after)
    assert (paired.newly_wrong, paired.no_longer_wrong, paired.net_wrong) == (2, 2, 0)
    assert paired.refusal(SHARE) is None


def test_more_off_topic_posts_are_refused() -> None:
    after = changed(i601=suggest("x"), i602=suggest("y"), i603=suggest("z"))
    paired = compare(LABELLED, baseline(), after)
    assert paired.net_wrong == 0 and paired.net_posted == 3
    assert "off-topic" in paired.refusal(SHARE)


def test_a_broad_loss_of_right_answers_is_refused_by_the_sign_test() -> None:
    four = compare(LABELLED, baseline(), changed(**{f"i{i}": HELPED for i in range(4)}))
    assert four.p_value == pytest.approx(1 / 16) and four.refusal(SHARE) is None  # could be noise
    five = compare(LABELLED, baseline(), changed(**{f"i{i}": HELPED for i in range(5)}))
    assert five.p_value == pytest.approx(1 / 32)
    assert "5 labelled item(s) got worse and 0 better" in five.refusal(SHARE)
    # The same five losses beside five gains are noise.
    mixed = changed(**{f"i{i}": HELPED for i in range(5)})
    before = changed(**{f"i{i}": HELPED for i in range(100, 105)})
    assert compare(LABELLED, before, mixed).refusal(SHARE) is None


def test_sign_test_tail() -> None:
    assert sign_test(0, 0) == 1.0
    assert sign_test(3, 0) == pytest.approx(0.125)
    assert sign_test(4, 1) == pytest.approx(6 / 32)
    assert sign_test(0, 5) == pytest.approx(1.0)
