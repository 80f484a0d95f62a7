"""Entry cooldowns and member rate limits, with a clock the tests move."""

from __future__ import annotations

from bot.core.channel.cooldowns import Cooldowns


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def make(clock: Clock, *, window: float = 600, count: int = 3, per: float = 60) -> Cooldowns:
    return Cooldowns(
        entry_cooldown_seconds=window, member_rate_limit_count=count, member_rate_limit_seconds=per, clock=clock
    )


def test_entry_cooldown_is_per_channel_and_expires() -> None:
    clock = Clock()
    c = make(clock)
    assert c.earlier_answer(1, "a") is None
    c.record_answer(1, "a", "url-1")
    earlier = c.earlier_answer(1, "a")
    assert earlier is not None and (earlier.entry_id, earlier.jump_url) == ("a", "url-1")
    assert c.earlier_answer(2, "a") is None
    assert c.earlier_answer(1, "b") is None
    clock.now += 599.9
    assert c.earlier_answer(1, "a") is not None
    clock.now += 0.1
    assert c.earlier_answer(1, "a") is None


def test_re_recording_moves_the_window_and_the_link() -> None:
    clock = Clock()
    c = make(clock, window=10)
    c.record_answer(1, "a", "question-url")
    clock.now += 5
    c.record_answer(1, "a", "answer-url")
    clock.now += 6
    earlier = c.earlier_answer(1, "a")
    assert earlier is not None and earlier.jump_url == "answer-url"


def test_zero_cooldown_never_points_back() -> None:
    c = make(Clock(), window=0)
    c.record_answer(1, "a", "url")
    assert c.earlier_answer(1, "a") is None


def test_member_rate_limit_is_a_sliding_window() -> None:
    clock = Clock()
    c = make(clock, count=3, per=60)
    taken = []
    for at in (0, 20, 40, 50, 59.9, 60, 61, 80):
        clock.now = 1000 + at
        taken.append((at, c.take_member_slot(7)))
    # Three in any 60 s: the 4th waits until the 1st is 60 s old, and so on.
    assert taken == [(0, True), (20, True), (40, True), (50, False), (59.9, False), (60, True), (61, False), (80, True)]
    assert c.take_member_slot(8)  # someone else is not affected


def test_old_records_are_pruned_so_memory_stays_bounded() -> None:
    clock = Clock()
    c = make(clock, window=10, count=1, per=10)
    for member in range(1000):
        c.take_member_slot(member)
        c.record_answer(member, "a", "url")
        clock.now += 0.1  # 100 s in all: only the last ~10 s of records may remain
    assert len(c) <= 2 * 101
    clock.now += 20
    c.take_member_slot(5000)
    c.earlier_answer(1, "a")
    assert len(c) == 1


def test_a_released_member_slot_can_be_taken_again() -> None:
    clock = Clock()
    c = make(clock, count=1, per=60)
    assert c.take_member_slot(7)
    c.release_member_slot(7)  # the reply it was for was never posted
    assert c.take_member_slot(7)
    assert not c.take_member_slot(7)
    c.release_member_slot(8)  # nothing taken: nothing to give back, no error
    assert c.take_member_slot(8)


def test_releasing_gives_back_one_slot_only() -> None:
    clock = Clock()
    c = make(clock, count=2, per=60)
    assert c.take_member_slot(7) and c.take_member_slot(7)
    c.release_member_slot(7)
    assert c.take_member_slot(7)
    assert not c.take_member_slot(7)


def test_a_released_answer_reservation_no_longer_points_back() -> None:
    c = make(Clock())
    c.record_answer(1, "a", "question-url")
    c.release_answer(1, "a", "question-url")
    assert c.earlier_answer(1, "a") is None


def test_releasing_leaves_a_newer_answer_in_place() -> None:
    # Two askers raced: the second reservation (or the posted answer) is not undone by the first's failure.
    c = make(Clock())
    c.record_answer(1, "a", "first-question-url")
    c.record_answer(1, "a", "answer-url")
    c.release_answer(1, "a", "first-question-url")
    earlier = c.earlier_answer(1, "a")
    assert earlier is not None and earlier.jump_url == "answer-url"
