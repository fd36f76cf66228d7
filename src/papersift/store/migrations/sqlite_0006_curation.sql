-- Curation by people: roles, the curated daily list and its submitters, submissions waiting for
-- their paper's metadata, comments, public collections, authorship claims, and the log of every
-- moderation action.
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'member'
    CHECK (role IN ('member', 'curator', 'admin'));
-- Whether a member is e-mailed when someone comments on a paper they submitted.
ALTER TABLE users ADD COLUMN notify_comments INTEGER NOT NULL DEFAULT 1;

-- E-mail to send that is not a digest (comment notifications), written in the transaction that
-- causes it and sent by `papersift notify send`; `sent_at` once the SMTP server took it.
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT    NOT NULL,
    sent_at    TEXT,
    message    BLOB    NOT NULL
);
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;

-- One entry per paper per day, whoever submitted it (the key says so, for every worker at once).
-- `day` is the day of the list it was submitted to (UTC), not the paper's publication day.
CREATE TABLE daily_entries (
    day          TEXT    NOT NULL,
    pk           INTEGER NOT NULL REFERENCES papers (pk) ON DELETE CASCADE,
    status       TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'removed')),
    pinned       INTEGER NOT NULL DEFAULT 0,
    featured     INTEGER NOT NULL DEFAULT 0,
    submitted_at TEXT    NOT NULL,
    PRIMARY KEY (day, pk)
) WITHOUT ROWID;
CREATE INDEX daily_entries_by_paper ON daily_entries (pk);

CREATE TABLE daily_submitters (
    day          TEXT    NOT NULL,
    pk           INTEGER NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    submitted_at TEXT    NOT NULL,
    PRIMARY KEY (day, pk, user_id),
    FOREIGN KEY (day, pk) REFERENCES daily_entries (day, pk) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX daily_submitters_by_user ON daily_submitters (user_id, submitted_at);

-- A submitted arXiv id whose paper is not in the library yet (arXiv unreachable): kept, and
-- turned into an entry of its day once the metadata comes.
CREATE TABLE pending_submissions (
    arxiv_id     TEXT    NOT NULL,
    day          TEXT    NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    submitted_at TEXT    NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (arxiv_id, day, user_id)
) WITHOUT ROWID;
CREATE INDEX pending_submissions_by_user ON pending_submissions (user_id, submitted_at);

-- Comments on papers (Markdown as written; rendered safely when shown). A removed comment keeps
-- its row, for the moderation log, and is shown nowhere.
CREATE TABLE comments (
    id         INTEGER PRIMARY KEY,
    pk         INTEGER NOT NULL REFERENCES papers (pk) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body       TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    edited_at  TEXT,
    removed_at TEXT,
    removed_by INTEGER REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX comments_by_paper ON comments (pk, id);
CREATE INDEX comments_by_user ON comments (user_id, created_at);

-- A public collection has a stable address (its id) and a feed; others may follow it.
ALTER TABLE collections ADD COLUMN public INTEGER NOT NULL DEFAULT 0;

CREATE TABLE collection_follows (
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    created_at    TEXT    NOT NULL,
    PRIMARY KEY (user_id, collection_id)
) WITHOUT ROWID;
CREATE INDEX collection_follows_by_collection ON collection_follows (collection_id);

-- "I am this author of this paper": a curator confirms or rejects it.
CREATE TABLE author_claims (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    pk         INTEGER NOT NULL REFERENCES papers (pk) ON DELETE CASCADE,
    author     TEXT    NOT NULL,
    status     TEXT    NOT NULL CHECK (status IN ('pending', 'confirmed', 'rejected')),
    created_at TEXT    NOT NULL,
    decided_at TEXT,
    PRIMARY KEY (user_id, pk)
) WITHOUT ROWID;
CREATE INDEX author_claims_by_status ON author_claims (status, created_at);

-- Every moderation action, with who and when; the actor's e-mail is kept as it was.
CREATE TABLE moderation_log (
    id       INTEGER PRIMARY KEY,
    at       TEXT    NOT NULL,
    actor_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    actor    TEXT    NOT NULL,
    action   TEXT    NOT NULL,
    target   TEXT    NOT NULL,
    detail   TEXT    NOT NULL DEFAULT ''
);
