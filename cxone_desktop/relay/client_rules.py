"""Who may listen: client credentials and the per-client rule saying which calls it may hear.

A QA client hears every call (`calls = "all"`); an agent's client hears the calls
whose agent ID is in its list; either can be narrowed to some platforms. A client
with `ingest = true` may also fetch tokens that a CXone Studio script presents at
`/ingest/cxone`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

from cxone_desktop.errors import AGENT_SCOPE, VIEW_SCOPE, InputError
from cxone_desktop.relay.call_summary import PLATFORMS, CallSummary

INGEST_SCOPE = "relay:ingest"


@dataclass(frozen=True)
class ClientRule:
    """One listener client: its secret and what it may hear."""

    client_id: str
    secret: str = field(repr=False)
    all_calls: bool = False
    agent_ids: frozenset[str] = frozenset()
    platforms: frozenset[str] = frozenset()  # empty: any platform
    ingest: bool = False

    def __post_init__(self) -> None:
        if not self.client_id or ":" in self.client_id:
            raise InputError("client", "a client ID must be non-empty and contain no ':'")
        if not self.secret:
            raise InputError("client", f"client {self.client_id} has an empty secret")
        unknown = self.platforms - set(PLATFORMS)
        if unknown:
            raise InputError(
                "client", f"client {self.client_id}: unknown platform(s) {', '.join(unknown)}"
            )

    @property
    def scopes(self) -> tuple[str, ...]:
        return (AGENT_SCOPE, VIEW_SCOPE, INGEST_SCOPE) if self.ingest else (AGENT_SCOPE, VIEW_SCOPE)

    def allows(self, call: CallSummary) -> bool:
        if self.platforms and call.platform not in self.platforms:
            return False
        if self.all_calls:
            return True
        agent_id = call.parties.get("agent", {}).get("id")
        return agent_id is not None and agent_id in self.agent_ids

    def describe(self) -> str:
        """What the rule lets through, for a 403 message (no secret)."""
        what = (
            "all calls"
            if self.all_calls
            else (
                f"calls of agent(s) {', '.join(sorted(self.agent_ids))}"
                if self.agent_ids
                else "no calls"
            )
        )
        if self.platforms:
            what += f" on {', '.join(sorted(self.platforms))}"
        return what


def rule_from_table(table: Mapping[str, object], secret: str) -> ClientRule:
    """A `[[client]]` table of the config file (the secret already resolved)."""
    client_id = table.get("id")
    if not isinstance(client_id, str):
        raise InputError("client", 'every [[client]] needs an id = "…"')
    calls = table.get("calls")
    agents = table.get("agents", [])
    platforms = table.get("platforms", [])
    if calls not in (None, "all", "agents"):
        raise InputError("client", f'client {client_id}: calls must be "all" or "agents"')
    if not _strings(agents) or not _strings(platforms):
        raise InputError("client", f"client {client_id}: agents and platforms are lists of strings")
    if calls is None and not agents:
        raise InputError(
            "client", f'client {client_id}: say calls = "all" or list the agents it may hear'
        )
    return ClientRule(
        client_id=client_id,
        secret=secret,
        all_calls=calls == "all",
        agent_ids=frozenset(cast(list[str], agents)),
        platforms=frozenset(cast(list[str], platforms)),
        ingest=bool(table.get("ingest", False)),
    )


def rule_from_argument(text: str) -> ClientRule:
    """`--client ID:SECRET` (tests and demos): a client that hears every call."""
    client_id, sep, secret = text.partition(":")
    if not sep:
        raise InputError("client", "use --client ID:SECRET")
    return ClientRule(client_id=client_id, secret=secret, all_calls=True)


def _strings(value: object) -> bool:
    return (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and all(isinstance(v, str) for v in value)
    )
