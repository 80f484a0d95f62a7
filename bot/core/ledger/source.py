"""The ledger as the services read it: the interface between the rules and wherever the data lives.

The bot explains a marketplace's Connects ledger it does not own. What it ships is a stand-in: a SQLite
file filled from CSV and YAML exports (store.LedgerStore). A real data source (the marketplace's API,
a warehouse, a replica) replaces it by implementing this protocol; the services, access rules,
explanations, cogs and CLI stay as they are, because they only ever call these methods.

Every method is synchronous and is called from one thread at a time (the CLI's, or the bot's single
ledger worker thread: see worker.LedgerWorker), so an implementation needs no locking of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from bot.core.ledger.models import AccessRecord, LedgerEntry, Membership, Profile


@runtime_checkable
class LedgerSource(Protocol):
    """Profiles, memberships, entries and balances to read; Discord links and the access log to keep."""

    # --- profiles and memberships ----------------------------------------------------------------------

    def find_profile(self, ref: str | int) -> Profile:
        """Return the profile with this id, or the one linked to this Discord id; raise ProfileNotFound."""
        ...

    def profile_by_discord(self, discord_id: str | int) -> Profile | None:
        """Return the profile linked to a Discord user id, if any."""
        ...

    def profiles(self, ids: Iterable[str]) -> dict[str, Profile]:
        """Return the profiles with these ids (unknown ids are left out)."""
        ...

    def memberships_of(self, profile_id: str) -> list[Membership]:
        """Return the agencies a freelancer belongs to, with their role in each."""
        ...

    def members_of(self, agency_id: str) -> list[Membership]:
        """Return an agency's members, with their roles."""
        ...

    # --- entries and balances --------------------------------------------------------------------------

    def balance(self, profile_id: str) -> int:
        """Return the profile's balance now."""
        ...

    def entries(
        self, profile_id: str, *, limit: int = 50, since_ts: int | None = None, actor: str | None = None
    ) -> list[LedgerEntry]:
        """Return a profile's newest entries (only those an actor did, if given), newest first."""
        ...

    def entry(self, entry_id: str) -> LedgerEntry | None:
        """Return the entry with this id, if any."""
        ...

    def job_entries(self, job: str) -> list[LedgerEntry]:
        """Return every entry of a job, in time order."""
        ...

    # --- kept by the bot: Discord links and the access log ---------------------------------------------

    def link_discord(self, profile_id: str, discord_id: str | int) -> Profile:
        """Link a freelancer profile to a Discord user id; return the profile as it is now."""
        ...

    def unlink_discord(self, ref: str | int) -> Profile:
        """Remove a profile's Discord link; return the profile as it is now."""
        ...

    def log_access(self, viewer: str, subject: str, what: str, allowed: bool, reason: str = "") -> AccessRecord:
        """Record one read (or refused read) of someone's ledger."""
        ...

    def access_log(self, *, limit: int = 50, subject: str | None = None) -> list[AccessRecord]:
        """Return the newest access-log records, optionally for one subject."""
        ...

    def close(self) -> None:
        """Release what the source holds (connections, files)."""
        ...
