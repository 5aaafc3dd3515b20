"""The balancer alone: least outstanding requests, ejection with doubling back-off, recovery."""

from __future__ import annotations

import pytest

from hfgate.errors import UpstreamUnreachableError
from hfgate.upstream.http.balancer import Balancer
from hfgate.upstream.http.call import Call
from hfgate.upstream.http.failover import Failover


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_requests_go_to_the_upstream_with_fewest_in_flight_ties_to_the_first_listed() -> None:
    balancer = Balancer(["a", "b", "c"])
    a, b, c = balancer.upstreams
    with balancer.lease(a), balancer.lease(a), balancer.lease(b):
        assert balancer.pick(tried=()) is c
        with balancer.lease(c):
            assert balancer.pick(tried=()) is b
            assert balancer.pick(tried=[b]) is c
    assert (a.outstanding, b.outstanding, c.outstanding) == (0, 0, 0)
    assert balancer.pick(tried=()) is a


def test_an_ejected_upstream_is_skipped_for_a_doubling_back_off_then_returns() -> None:
    clock = Clock()
    balancer = Balancer(["a", "b"], base_ejection=1.0, max_ejection=3.0, clock=clock)
    a, b = balancer.upstreams
    assert balancer.eject(a, endpoint="e", reason="connection") == 1.0
    assert balancer.pick(tried=()) is b
    clock.now += 1.0
    assert balancer.pick(tried=()) is a
    assert balancer.eject(a, endpoint="e", reason="server_error") == 2.0
    assert balancer.eject(a, endpoint="e", reason="server_error") == 3.0  # capped at max_ejection
    balancer.succeeded(a, endpoint="e")
    assert balancer.eject(a, endpoint="e", reason="connection") == 1.0  # a success clears the count


def test_when_all_are_ejected_none_is_picked_and_the_first_return_is_known() -> None:
    clock = Clock()
    balancer = Balancer(["a", "b"], base_ejection=2.0, clock=clock)
    a, b = balancer.upstreams
    balancer.eject(a, endpoint="e", reason="connection")
    clock.now += 1.0
    balancer.eject(b, endpoint="e", reason="connection")
    assert balancer.pick(tried=()) is None
    assert balancer.next_return() == 1.0


def test_a_route_built_on_the_first_url_moves_to_each_other_url() -> None:
    balancer = Balancer(["http://a:1/", "http://b:2"])
    call = Call(inference_id="e", api_key="", timeout=5, target="http://a:1/", upstreams=("http://a:1/", "http://b:2"))
    attempts = Failover(balancer, call, url="http://a:1/rerank")
    first, first_call, first_url = attempts.next()
    assert (first_url, first_call.retry, first_call.upstreams) == ("http://a:1/rerank", False, ())
    attempts.failed(first, UpstreamUnreachableError("refused"))
    _, second_call, second_url = attempts.next()
    assert (second_url, second_call.target) == ("http://b:2/rerank", "http://b:2")
    attempts.failed(balancer.upstreams[1], UpstreamUnreachableError("refused"))
    with pytest.raises(UpstreamUnreachableError, match=r"All \[2\] upstream urls .* refused"):
        attempts.next()


def test_a_successful_attempt_after_an_ejection_restarts_the_back_off() -> None:
    clock = Clock()
    balancer = Balancer(["http://a:1"], base_ejection=1.0, clock=clock)
    call = Call(inference_id="e", api_key="", timeout=5, target="http://a:1", upstreams=("http://a:1",))
    first = Failover(balancer, call, url="http://a:1/embed")
    upstream, _, _ = first.next()
    with first.lease(upstream):
        first.failed(upstream, UpstreamUnreachableError("refused"))
    assert upstream.failures == 1
    clock.now += 1.0
    second = Failover(balancer, call, url="http://a:1/embed")
    with second.lease(second.next()[0]):
        pass
    assert upstream.failures == 0
    assert balancer.eject(upstream, endpoint="e", reason="connection") == 1.0
