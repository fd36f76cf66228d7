"""Accounts: passwords, sign-in sessions and the sign-in rate limit, over the store.

- Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile) and
  re-hashed on sign-in when those parameters change.
- A session is a random 256-bit token held by the browser; the store keeps only its SHA-256, so
  a copy of the database signs nobody in. Sessions last `SESSION_DAYS`.
- Failed sign-ins are recorded per e-mail and per client address in the database (not in a
  process), so every web worker sees them: `MAX_FAILURES` within `FAILURE_WINDOW` seconds locks
  that key until the oldest failure leaves the window.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from papersift.errors import AccountError, TooManyAttempts
from papersift.records import ROLES as ROLES
from papersift.records import SESSION_DAYS as SESSION_DAYS
from papersift.records import Role as Role
from papersift.records import User as User
from papersift.store import Store, UserRow

MAX_FAILURES = 5
FAILURE_WINDOW = 15 * 60
MIN_PASSWORD_LENGTH = 8
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()


def user_from_row(row: UserRow) -> User:
    return User(row.id, row.email, row.name, row.created_at, cast(Role, row.role))


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


class Accounts:
    """Sign-up, sign-in and sessions for one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def sign_up(self, email: str, password: str, name: str | None = None) -> User:
        email = email.strip()
        if len(email) > 254 or not _EMAIL.match(email):
            raise AccountError(f"{email!r} is not an e-mail address")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
        if len(password) > 1024:
            raise AccountError("the password is too long (at most 1,024 characters)")
        display = (name or "").strip()[:80] or email.split("@")[0]
        user_id = self.store.create_user(email, display, _hasher.hash(password))
        if user_id is None:
            raise AccountError(f"an account with the e-mail {email} exists already")
        row = self.store.user_row(user_id=user_id)
        assert row is not None
        return user_from_row(row)

    def sign_in(self, email: str, password: str, *, client: str = "") -> User:
        """The user, if the password is right; every failure counts toward the rate limit."""
        keys = [f"email:{email.strip().casefold()}"] + ([f"client:{client}"] if client else [])
        now = time.time()
        for key in keys:
            failures = self.store.login_failures_since(key, now - FAILURE_WINDOW)
            if len(failures) >= MAX_FAILURES:
                wait = int(failures[-MAX_FAILURES] + FAILURE_WINDOW - now) + 1
                raise TooManyAttempts(f"too many failed sign-ins; try again in {wait // 60 + 1} min", wait)
        row = self.store.user_row(email=email.strip())
        # An unknown e-mail costs a hash check too, so timing does not tell which e-mails exist.
        if not _verify(row.password_hash if row else _dummy_hash(), password) or row is None:
            for key in keys:
                self.store.record_login_failure(key, now)
            raise AccountError("wrong e-mail or password")
        if _hasher.check_needs_rehash(row.password_hash):
            self.store.set_password_hash(row.id, _hasher.hash(password))
        self.store.clear_login_failures(keys[0])
        self.store.clear_login_failures("", before=now - FAILURE_WINDOW)  # forget old failures
        return user_from_row(row)

    def open_session(self, user: User) -> str:
        token = secrets.token_urlsafe(32)
        self.store.save_session(token_hash(token), user.id, datetime.now(UTC) + timedelta(days=SESSION_DAYS))
        return token

    def session_user(self, token: str | None) -> User | None:
        if not token:
            return None
        user_id = self.store.session_user_id(token_hash(token))
        row = self.store.user_row(user_id=user_id) if user_id is not None else None
        return user_from_row(row) if row else None

    def close_session(self, token: str) -> None:
        self.store.delete_session(token_hash(token))

    def users(self) -> list[User]:
        return [user_from_row(row) for row in self.store.iter_users()]

    def user(self, email: str) -> User | None:
        row = self.store.user_row(email=email.strip())
        return user_from_row(row) if row else None


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
