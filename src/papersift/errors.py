"""papersift's errors: one hierarchy, rendered in one place by each face (CLI, web)."""

from __future__ import annotations


class PapersiftError(Exception):
    """Base of every error papersift reports to a user as a message, not a traceback."""

    exit_code = 1

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnreadableInput(PapersiftError):
    """A whole input could not be read (malformed XML, truncated gzip, binary data)."""


class PaperNotFound(PapersiftError):
    """No paper has this id."""


class StoreError(PapersiftError):
    """The database could not be opened or is not a papersift database."""


class HarvestError(PapersiftError):
    """An online source refused or failed after its retries."""


class AccountError(PapersiftError):
    """An account cannot be created or used as asked (e-mail taken, weak password, ...)."""


class CollectionError(PapersiftError):
    """A collection cannot be used as asked (no such collection, a bad name, ...)."""


class SubscriptionError(PapersiftError):
    """A subscription or a digest cannot be made as asked."""


class TooManyAttempts(PapersiftError):
    """Too many failed sign-ins for this account or address; wait and retry."""

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class CurationError(PapersiftError):
    """A submission, comment, claim or moderation cannot be made as asked."""


class NotAllowed(PapersiftError):
    """The member's role does not allow this (a curator's or an admin's action)."""


class RateLimited(TooManyAttempts):
    """Too many submissions or comments in the last hour; wait and retry."""


class ModelUnavailable(PapersiftError):
    """The embedding model's files (or the libraries that run it) are not installed."""
