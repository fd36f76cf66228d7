-- A member's library: named collections (tags) of saved papers, each saving with a note;
-- subscriptions; and the record of every digest decided and sent.
CREATE TABLE collections (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    UNIQUE (user_id, name)
);

CREATE TABLE saved_papers (
    collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    pk            INTEGER NOT NULL REFERENCES papers (pk) ON DELETE CASCADE,
    note          TEXT    NOT NULL DEFAULT '',
    saved_at      TEXT    NOT NULL,
    PRIMARY KEY (collection_id, pk)
) WITHOUT ROWID;
CREATE INDEX saved_papers_by_paper ON saved_papers (pk);

-- What a member asked to hear about. `value` is the query, author, category or collection name
-- ('' for trending and recommendations); one subscription per kind and value per member.
CREATE TABLE subscriptions (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('query', 'author', 'category', 'collection', 'trending')),
    value      TEXT    NOT NULL DEFAULT '',
    mode       TEXT    NOT NULL DEFAULT 'hybrid' CHECK (mode IN ('hybrid', 'semantic', 'keyword')),
    frequency  TEXT    NOT NULL CHECK (frequency IN ('daily', 'weekly')),
    max_papers INTEGER NOT NULL CHECK (max_papers BETWEEN 1 AND 100),
    created_at TEXT    NOT NULL,
    UNIQUE (user_id, kind, value)
);
CREATE INDEX subscriptions_by_frequency ON subscriptions (frequency, user_id);

-- One digest per member, frequency and period ('2026-11-21', '2026-W47'): the primary key makes
-- the decision at most once. A row is written 'sending', with the message, in the transaction
-- that decides it; 'sent' once the SMTP server has taken it. A rerun sends what is 'sending'.
CREATE TABLE digests (
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    frequency   TEXT    NOT NULL,
    period      TEXT    NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('sending', 'sent')),
    papers      TEXT    NOT NULL,                -- JSON list of the papers' ids, in order
    message_id  TEXT    NOT NULL,
    message     BLOB    NOT NULL,                -- the whole MIME message, as sent
    through     TEXT    NOT NULL,                -- papers published up to this date are covered
    decided_at  TEXT    NOT NULL,
    sent_at     TEXT,
    PRIMARY KEY (user_id, frequency, period)
) WITHOUT ROWID;
CREATE INDEX digests_unsent ON digests (status) WHERE status = 'sending';
