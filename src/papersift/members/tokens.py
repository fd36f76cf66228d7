"""Signed links that work without signing in: stopping digests, a member's private feed."""

from __future__ import annotations

import secrets

from itsdangerous import BadSignature, URLSafeSerializer

from papersift.errors import SubscriptionError
from papersift.members.accounts import User, user_from_row
from papersift.members.digests import FREQUENCIES, Frequency
from papersift.store import Store


class Tokens:
    def __init__(self, store: Store) -> None:
        self.store = store

    def unsubscribe_token(self, user: User, frequency: Frequency) -> str:
        """A token for a link that stops the member's digests of this frequency, no sign-in needed."""
        return self._signer().dumps([user.id, frequency])

    def check_unsubscribe_token(self, token: str) -> tuple[User, Frequency]:
        """The member and frequency an unsubscribe token names (SubscriptionError if forged)."""
        invalid = "this unsubscribe link is not valid (it may have been cut short)"
        try:
            user_id, frequency = self._signer().loads(token)
            row = self.store.user_row(user_id=int(user_id))
        except (BadSignature, ValueError, TypeError):
            raise SubscriptionError(invalid) from None
        if row is None or frequency not in FREQUENCIES:
            raise SubscriptionError("this unsubscribe link is for an account that no longer exists")
        return user_from_row(row), frequency

    def recommendations_token(self, user: User) -> str:
        """A token for the private address of the member's "For you" feed (no sign-in needed)."""
        return self._signer("for-you").dumps(user.id)

    def user_of_recommendations_token(self, token: str) -> User:
        try:
            row = self.store.user_row(user_id=int(self._signer("for-you").loads(token)))
        except (BadSignature, ValueError, TypeError):
            raise SubscriptionError("this feed address is not valid (it may have been cut short)") from None
        if row is None:
            raise SubscriptionError("this feed address is for an account that no longer exists")
        return user_from_row(row)

    def _signer(self, purpose: str = "unsubscribe") -> URLSafeSerializer:
        # One secret, kept in the database so every worker signs alike; a salt per purpose, so
        # that a feed address cannot be used as an unsubscribe link.
        return URLSafeSerializer(
            self.store.secret("unsubscribe", lambda: secrets.token_urlsafe(32)), salt=purpose
        )
