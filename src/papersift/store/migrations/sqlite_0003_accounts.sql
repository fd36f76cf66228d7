-- Accounts, sign-in sessions, upvotes and the record of failed sign-ins. Everything a web worker
-- needs to remember lives here, so several workers can serve one library.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,              -- argon2id, with its parameters
    created_at    TEXT    NOT NULL
);

-- Only a hash of each session token is kept: a copy of the database signs nobody in.
CREATE TABLE sessions (
    token_hash BLOB    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- One upvote per user per paper (the primary key says so, for every worker at once).
CREATE TABLE votes (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    pk         INTEGER NOT NULL REFERENCES papers (pk) ON DELETE CASCADE,
    created_at TEXT    NOT NULL,
    PRIMARY KEY (user_id, pk)
) WITHOUT ROWID;
CREATE INDEX votes_by_paper ON votes (pk);

-- Failed sign-ins by key (an e-mail, an address), for rate limiting across workers.
CREATE TABLE login_failures (
    key TEXT NOT NULL,
    at  REAL NOT NULL                            -- Unix time
);
CREATE INDEX login_failures_by_key ON login_failures (key, at);
