"""The live calls for the app's picker: the calls list of the server the form points at.

The window asks every few seconds while no call runs (`refresh`); this keeps one token
provider and one `CallDirectory` for the server and credentials last asked about, and
replaces them when those change, so a token is fetched once an hour, not per refresh.
What comes back says whether there is a list to show at all: a server without one
(404, a plain CXone tenant) or one that cannot be reached hides the picker quietly; any
other failure keeps the picker with the reason, so typing a call ID always works.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cxone_desktop.cxone.call_directory import CallDirectory, ListedCall
from cxone_desktop.cxone.endpoints import Endpoints
from cxone_desktop.cxone.settings import AuthSettings, Credentials, RetryPolicy, TlsSettings
from cxone_desktop.cxone.token_provider import TokenProvider
from cxone_desktop.errors import CXoneError, NoCallDirectory, ServiceUnavailable

__all__ = ["CallList", "CallListFeed", "DirectorySource", "ListedCall"]

#: One try per refresh: the next refresh is the retry.
_ONE_TRY = RetryPolicy(max_attempts=1, base_delay_s=0.0, max_delay_s=0.0, max_total_s=0.0)


@dataclass(frozen=True)
class DirectorySource:
    """Which server to ask and as whom: what the connect form holds (no call ID needed)."""

    endpoints: Endpoints
    credentials: Credentials
    auth: AuthSettings = field(default_factory=AuthSettings)
    tls: TlsSettings = field(default_factory=TlsSettings)


@dataclass(frozen=True)
class CallList:
    """One refresh: the calls, whether the server has a list at all, and what went wrong."""

    calls: tuple[ListedCall, ...] = ()
    available: bool = False
    problem: str = ""


class CallListFeed:
    """Lists the live calls of one source at a time; not thread-safe (the app's one loop)."""

    def __init__(self) -> None:
        self._source: DirectorySource | None = None
        self._tokens: TokenProvider | None = None
        self._directory: CallDirectory | None = None

    async def refresh(self, source: DirectorySource) -> CallList:
        """The calls of `source` now; never raises for the server's or the network's faults."""
        if source != self._source:
            await self.aclose()
            self._source = source
            self._tokens = TokenProvider(
                source.endpoints, source.credentials, auth=source.auth, tls=source.tls,
                retry=_ONE_TRY,
            )  # fmt: skip
            self._directory = CallDirectory(source.endpoints, self._tokens, tls=source.tls)
        assert self._directory is not None
        try:
            calls = await self._directory.list_calls()
        except NoCallDirectory:
            return CallList(available=False)
        except ServiceUnavailable as exc:  # nothing listens there (yet): nothing to pick from
            return CallList(available=False, problem=exc.message)
        except CXoneError as exc:
            return CallList(available=True, problem=exc.message)
        return CallList(calls=tuple(calls), available=True)

    async def aclose(self) -> None:
        if self._directory is not None:
            await self._directory.aclose()
        if self._tokens is not None:
            await self._tokens.aclose()
        self._source = self._tokens = self._directory = None
