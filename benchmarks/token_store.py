"""The simulator's token store under a client that asks for token after token (issue 17, #6).

Issues tokens on a fake clock (a token a millisecond, TTL one hour, so none expire)
and times batches of issues at 0 and at 20,000 live tokens: the ratio should stay
near 1 (the old store swept every live token on each issue and got 4× slower).
Then memory per live token (tracemalloc) and the cap. Last line JSON.

    .venv/bin/python benchmarks/token_store.py
"""

from __future__ import annotations

import json
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cxone_desktop.serving.tokens import MAX_TOKENS, TokenStore

SCOPES = ("agent:voice:stream", "interaction:view")
BATCH = 2_000


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        self.t += 0.001
        return self.t


def us_per_issue(store: TokenStore) -> float:
    t0 = time.perf_counter()
    for _ in range(BATCH):
        store.issue(SCOPES)
    return (time.perf_counter() - t0) / BATCH * 1e6


def main() -> int:
    store = TokenStore(FakeClock(), ttl_s=3600, max_tokens=10 * MAX_TOKENS)
    first = us_per_issue(store)
    while len(store) < 20_000:
        store.issue(SCOPES)
    at_20k = us_per_issue(store)
    print(f"issue: {first:.1f} µs at 0 tokens, {at_20k:.1f} µs at 20,000 ({at_20k / first:.2f}×)")

    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    held = TokenStore(FakeClock(), ttl_s=3600, max_tokens=10 * MAX_TOKENS)
    for _ in range(10_000):
        held.issue(SCOPES)
    per_token = (tracemalloc.get_traced_memory()[0] - before) / 10_000
    tracemalloc.stop()
    print(f"memory: {per_token:.0f} bytes per live token")

    capped = TokenStore(FakeClock(), ttl_s=3600)
    for _ in range(MAX_TOKENS + 20_000):
        capped.issue(SCOPES)
    print(f"cap: {len(capped)} tokens held after {MAX_TOKENS + 20_000} issued")
    result = {
        "us_per_issue_at_0": round(first, 2),
        "us_per_issue_at_20k": round(at_20k, 2),
        "slowdown_at_20k": round(at_20k / first, 2),
        "bytes_per_token": round(per_token),
        "cap": MAX_TOKENS,
        "held_after_cap": len(capped),
    }
    print(json.dumps(result))
    return 0 if len(capped) <= MAX_TOKENS else 1


if __name__ == "__main__":
    sys.exit(main())
