"""The rate-limit core on a fake clock: slots spaced exactly, waits counted from now, no rounding."""

from __future__ import annotations

from hfgate.ratelimit.timeline import Timelines, interval, nanoseconds, seconds


class FakeClock:
    """Monotonic seconds that move only when a test moves them."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_free_slot_is_taken_at_once_and_the_next_is_one_interval_on() -> None:
    slots = Timelines(clock=FakeClock(10.0))
    now = slots.now()
    assert slots.take("a", now=now, interval=interval(60)) == 0
    assert slots.take("a", now=now, interval=interval(60)) == nanoseconds(1.0)
    assert slots.ahead("a", now=now) == nanoseconds(2.0)


def test_keys_have_timelines_of_their_own() -> None:
    slots = Timelines(clock=FakeClock(10.0))
    slots.take("a", now=slots.now(), interval=interval(1))
    assert slots.ahead("b", now=slots.now()) == 0


def test_the_wait_shrinks_as_the_clock_moves_and_a_past_slot_is_free() -> None:
    clock = FakeClock(10.0)
    slots = Timelines(clock=clock)
    slots.take("a", now=slots.now(), interval=interval(6))  # 10 s apart
    clock.now += 4.0
    assert seconds(slots.ahead("a", now=slots.now())) == 6.0
    clock.now += 60.0
    assert slots.take("a", now=slots.now(), interval=interval(6)) == 0


def test_waits_are_exact_at_a_clock_reading_where_float_seconds_round() -> None:
    # at this reading (now + 60) - now is 60.00000000000023 in floats (commit 5783968)
    slots = Timelines(clock=FakeClock(2040.1090003485567))
    now = slots.now()
    slots.take("a", now=now, interval=interval(1))
    assert slots.ahead("a", now=now) == nanoseconds(60.0)


def test_a_minute_of_slots_on_a_simulated_clock_holds_the_rate_exactly() -> None:
    clock = FakeClock(0.0)
    slots = Timelines(clock=clock)
    sent = 0
    while True:
        clock.now += seconds(slots.take("a", now=slots.now(), interval=interval(3000)))
        if clock.now >= 60.0:
            break
        sent += 1
    assert sent == 3000
