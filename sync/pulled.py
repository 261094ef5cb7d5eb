"""What a kiosk holds from the central platform: config and catalogue (ETag) and the watch-list.

Kept apart from the agent's loop so that the e-gate and the catalogue engine can read it
without knowing how or when it was fetched.
"""

from __future__ import annotations

from collections.abc import Callable

from sync import protocol as p
from sync.client import CentralClient


class Pulled:
    """The latest config document and the watch-list, updated by :meth:`pull_config` / :meth:`pull_watchlist`."""

    def __init__(self, on_config: Callable[[p.KioskConfigDoc], None] | None = None,
                 on_watchlist: Callable[[p.WatchlistDelta], None] | None = None) -> None:
        self._on_config, self._on_watchlist = on_config, on_watchlist
        self.config_etag: str | None = None
        self.config: p.KioskConfigDoc | None = None
        self.watchlist_version = 0
        self.watchlist: dict[str, p.WatchEntry] = {}

    def setting(self, name: str, default: float) -> float:
        """A central setting (e.g. ``heartbeat_s``), or ``default`` until config arrived."""
        if self.config is not None and name in self.config.settings:
            return float(self.config.settings[name])
        return default

    def pull_config(self, client: CentralClient) -> None:
        """Fetch config and catalogue unless unchanged (ETag)."""
        doc, self.config_etag = client.pull_config(self.config_etag)
        if doc is not None:
            self.config = doc
            if self._on_config:
                self._on_config(doc)

    def pull_watchlist(self, client: CentralClient) -> None:
        """Apply watch-list changes since the version held (a full list replaces everything)."""
        delta = client.watchlist(self.watchlist_version)
        if delta.full:
            self.watchlist.clear()
        for e in delta.added:
            self.watchlist[e.document_number] = e
        for n in delta.removed:
            self.watchlist.pop(n, None)
        if delta.version != self.watchlist_version or delta.full:
            self.watchlist_version = delta.version
            if self._on_watchlist:
                self._on_watchlist(delta)
