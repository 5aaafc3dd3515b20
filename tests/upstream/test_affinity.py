"""Session affinity over a group of upstreams: rendezvous order, agreement between processes' balancers,
an ejected upstream moving only its own sessions, and the least busy for requests without a key."""

from __future__ import annotations

from collections import Counter

import pytest

from hfgate.errors import UpstreamUnreachableError
from hfgate.upstream.http.affinity import SessionKey, ranked
from hfgate.upstream.http.balancer import Balancer
from hfgate.upstream.http.call import Call
from hfgate.upstream.http.failover import Failover

URLS = ("http://a:1", "http://b:2", "http://c:3")
KEYS = [f"session:{i}" for i in range(600)]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def call_for(key: str | None) -> Call:
    affinity = None if key is None else SessionKey(key=key, source="session" if key else "")
    return Call(inference_id="e", api_key="", timeout=5, target=URLS[0], upstreams=URLS, affinity=affinity)


def first_url(balancer: Balancer, key: str | None) -> str:
    upstream, _, _ = Failover(balancer, call_for(key), url=f"{URLS[0]}/v1/chat/completions").next()
    return upstream.url


def test_each_key_s_order_is_the_same_for_two_balancers_and_keys_spread_over_every_url() -> None:
    one, other = Balancer(URLS), Balancer(URLS)
    chosen = [first_url(one, key) for key in KEYS]
    assert chosen == [first_url(other, key) for key in KEYS]
    shares = Counter(chosen)
    assert set(shares) == set(URLS)
    assert min(shares.values()) > len(KEYS) / len(URLS) / 2  # roughly even: no url takes (almost) none


def test_removing_or_adding_a_url_moves_only_the_keys_it_ranks_first() -> None:
    before = {key: URLS[ranked(key, URLS)[0]] for key in KEYS}
    without_c = URLS[:2]
    after = {key: without_c[ranked(key, without_c)[0]] for key in KEYS}
    moved = {key for key in KEYS if before[key] != after[key]}
    assert moved == {key for key in KEYS if before[key] == "http://c:3"}
    assert all(after[key] == before[key] for key in KEYS if key not in moved)


def test_an_ejected_upstream_moves_its_sessions_to_their_next_in_order_and_they_return_after_it() -> None:
    clock = Clock()
    balancer = Balancer(URLS, base_ejection=1.0, clock=clock)
    before = {key: first_url(balancer, key) for key in KEYS}
    down = balancer.upstreams[1]
    balancer.eject(down, endpoint="e", reason="connection")
    during = {key: first_url(balancer, key) for key in KEYS}
    for key in KEYS:
        if before[key] == down.url:
            assert during[key] == URLS[ranked(key, URLS)[1]]  # the session's second choice
        else:
            assert during[key] == before[key]  # sessions of the healthy upstreams stay
    clock.now += 1.0
    assert {key: first_url(balancer, key) for key in KEYS} == before


def test_a_session_whose_upstream_fails_during_the_request_tries_its_order_then_reports_all_failed() -> None:
    balancer = Balancer(URLS)
    key = KEYS[0]
    order = [URLS[i] for i in ranked(key, URLS)]
    attempts = Failover(balancer, call_for(key), url=f"{URLS[0]}/v1/chat/completions")
    tried = []
    for _ in URLS:
        upstream, _, url = attempts.next()
        tried.append(upstream.url)
        assert url == f"{upstream.url}/v1/chat/completions"
        attempts.failed(upstream, UpstreamUnreachableError("refused"))
    assert tried == order
    with pytest.raises(UpstreamUnreachableError, match=r"All \[3\] upstream urls"):
        attempts.next()


def test_requests_without_a_key_or_with_affinity_off_go_to_the_least_busy() -> None:
    balancer = Balancer(URLS)
    a, b, _ = balancer.upstreams
    with balancer.lease(a), balancer.lease(b):
        assert first_url(balancer, "") == "http://c:3"
        assert first_url(balancer, None) == "http://c:3"
        pinned = next(key for key in KEYS if URLS[ranked(key, URLS)[0]] == "http://a:1")
        assert first_url(balancer, pinned) == "http://a:1"  # a busy upstream keeps its session
