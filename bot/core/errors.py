"""Named domain errors. Front ends translate these into messages, each in one place."""

from __future__ import annotations

from dataclasses import dataclass


class BotError(Exception):
    """Base of every error the core raises on purpose."""

    def lines(self) -> tuple[str, ...]:
        """The message as its lines (a head, then one per listed problem), unescaped: a front end escapes each.

        A front end that escapes the whole message would show a listed problem's own line break as `\\n`;
        one that splits the message would let a newline inside a problem forge a line of its own.
        """
        return (str(self),)


class ConfigError(BotError):
    """A config key is missing, malformed or unknown; the message names the file first when given."""

    def __init__(self, key: str, problem: str, file: object = None) -> None:
        where = key if file is None else f"{file}: {key}"
        super().__init__(f"config: {where}: {problem}")
        self.key = key
        self.problem = problem
        self.file = file


@dataclass(frozen=True)
class KnowledgeIssue:
    """One problem in the knowledge base: where it is and what is wrong."""

    file: str
    entry: str | None
    field: str | None
    problem: str

    def __str__(self) -> str:
        where = self.file
        if self.entry:
            where += f": entry {self.entry}"
        if self.field:
            where += f": field {self.field}"
        return f"{where}: {self.problem}"


class KnowledgeError(BotError):
    """The knowledge base failed validation; it lists every issue found."""

    def __init__(self, issues: list[KnowledgeIssue]) -> None:
        self.issues = list(issues)
        self._lines = (f"{len(self.issues)} problem(s) in the knowledge base:", *(f"  {i}" for i in self.issues))
        super().__init__("\n".join(self._lines))

    def lines(self) -> tuple[str, ...]:
        return self._lines


class EntryNotFound(BotError):
    """No knowledge-base entry (or rule) has this id."""

    def __init__(self, entry_id: str, suggestions: tuple[str, ...] = ()) -> None:
        close = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"no entry with id {entry_id!r}{close}")
        self.entry_id = entry_id
        self.suggestions = suggestions


class DuplicateEntry(BotError):
    """An entry with this id already exists."""

    def __init__(self, entry_id: str) -> None:
        super().__init__(f"an entry with id {entry_id!r} already exists")
        self.entry_id = entry_id


class EditConflict(BotError):
    """The entry changed since the editor opened it; saving would overwrite someone's work."""

    def __init__(self, entry_id: str, expected_version: int, current_version: int) -> None:
        super().__init__(
            f"entry {entry_id!r} was changed (now version {current_version}) since you opened "
            f"version {expected_version}"
        )
        self.entry_id = entry_id
        self.expected_version = expected_version
        self.current_version = current_version


class VersionNotFound(BotError):
    """The history holds no such version of this entry."""

    def __init__(self, entry_id: str, version: int, latest: int) -> None:
        known = f"versions 1 to {latest}" if latest else "no recorded versions"
        super().__init__(f"entry {entry_id!r} has no version {version} (it has {known})")
        self.entry_id = entry_id
        self.version = version
        self.latest = latest


class FeedbackItemNotFound(BotError):
    """No open item in the unanswered queue has this id."""

    def __init__(self, item_id: int) -> None:
        super().__init__(f"no open unanswered-queue item #{item_id}")
        self.item_id = item_id


class PermissionDenied(BotError):
    """The caller may not do this."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LabelledFileError(BotError):
    """A file of labelled questions or chatter (`kb eval --questions / --chatter`) cannot be used."""

    def __init__(self, path: object, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class ProfileNotFound(BotError):
    """No ledger profile (or linked Discord user) matches this reference."""

    def __init__(self, ref: str) -> None:
        super().__init__(f"no profile or linked Discord user {ref!r}")
        self.ref = ref


class ReferenceNotFound(BotError):
    """No ledger entry or job matches this reference."""

    def __init__(self, ref: str) -> None:
        super().__init__(f"no ledger entry or job {ref!r}")
        self.ref = ref


class LedgerError(BotError):
    """The ledger cannot do this (bad link request, unreadable or too-new ledger file)."""


class ImportRejected(BotError):
    """An import had bad rows; nothing was imported."""

    def __init__(self, problems: list[str], total: int) -> None:
        self.problems = list(problems)
        self.total = total
        more = (f"  ... and {total - len(self.problems)} more",) if total > len(self.problems) else ()
        head = f"import refused, nothing was imported: {total} bad row(s)"
        self._lines = (head, *(f"  {p}" for p in self.problems), *more)
        super().__init__("\n".join(self._lines))

    def lines(self) -> tuple[str, ...]:
        return self._lines
