"""The simulator's token store: expiry in issue order, a cap, shared scope sets (issue 17, #6)."""

from __future__ import annotations

import sys

import pytest

from cxone_desktop.serving.tokens import MAX_TOKENS, TokenStore


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_tokens_expire_after_their_ttl_and_are_swept_when_the_next_is_issued() -> None:
    clock = Clock()
    store = TokenStore(clock, ttl_s=10)
    old = [store.issue(["a"]) for _ in range(100)]
    clock.t = 5
    young = store.issue(["a"])
    clock.t = 10  # the first hundred expire now; the young one at 15
    assert all(store.lookup(t) is None for t in old[:3])
    fresh = store.issue(["a"])
    assert len(store) == 2  # the sweep took every expired token, not one
    assert store.lookup(young) is not None and store.lookup(fresh) is not None
    clock.t = 15
    assert store.lookup(young) is None and store.lookup(fresh) is not None


def test_the_store_never_holds_more_than_its_cap() -> None:
    clock = Clock()
    store = TokenStore(clock, ttl_s=3600, max_tokens=1000)
    tokens = [store.issue(["a"]) for _ in range(5000)]
    assert len(store) == 1000
    assert store.lookup(tokens[0]) is None  # the oldest went first
    assert all(store.lookup(t) is not None for t in tokens[-1000:])


def test_the_default_cap_bounds_a_client_that_asks_for_token_after_token() -> None:
    clock = Clock()
    store = TokenStore(clock, ttl_s=3600)
    for i in range(MAX_TOKENS + 5000):
        clock.t = i * 0.001
        store.issue(["agent:voice:stream", "interaction:view"])
    assert len(store) == MAX_TOKENS


def test_a_cap_skips_tokens_a_lookup_already_dropped() -> None:
    clock = Clock()
    store = TokenStore(clock, ttl_s=1, max_tokens=2)
    a = store.issue(["x"])
    clock.t = 0.5
    b = store.issue(["x"])
    clock.t = 1.0
    assert store.lookup(a) is None  # dropped by the lookup; its queue entry remains
    c = store.issue(["x"])
    d = store.issue(["x"])  # at the cap: b goes, not a phantom
    assert store.lookup(b) is None and store.lookup(c) and store.lookup(d)


def test_tokens_with_the_same_scopes_share_one_scope_set() -> None:
    store = TokenStore(Clock(), ttl_s=60)
    first = store.lookup(store.issue(["b", "a"]))
    second = store.lookup(store.issue(["a", "b"]))
    assert first is not None and second is not None
    assert first.scopes is second.scopes
    assert sys.getsizeof(first) < 100  # slots: no per-token __dict__


def test_revoke_all_forgets_everything() -> None:
    store = TokenStore(Clock(), ttl_s=60)
    t = store.issue(["a"])
    store.revoke_all()
    assert store.lookup(t) is None and len(store) == 0


def test_a_cap_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        TokenStore(Clock(), ttl_s=60, max_tokens=0)
