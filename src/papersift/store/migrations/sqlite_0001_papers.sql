-- Papers, the ids they were known by, and the store's bookkeeping.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE papers (
    pk           INTEGER PRIMARY KEY,          -- stable internal key: indexes refer to it
    id           TEXT NOT NULL UNIQUE,         -- public id; may change (hash -> arXiv id)
    title        TEXT NOT NULL,
    title_key    TEXT NOT NULL,                -- papersift.ids.title_key(title), for dedup
    abstract     TEXT NOT NULL DEFAULT '',
    authors      TEXT NOT NULL DEFAULT '[]',   -- JSON array, in order
    categories   TEXT NOT NULL DEFAULT '[]',   -- JSON array, primary first
    published    TEXT,                         -- ISO date
    updated      TEXT,
    version      INTEGER,
    arxiv_id     TEXT UNIQUE,
    doi          TEXT,
    source       TEXT NOT NULL,
    source_id    TEXT,
    abs_url      TEXT,
    pdf_url      TEXT,
    comment      TEXT,
    journal_ref  TEXT,
    keywords     TEXT NOT NULL DEFAULT '[]',
    title_raw    TEXT,
    abstract_raw TEXT,
    changed      INTEGER NOT NULL              -- change sequence of the last write
);
CREATE INDEX papers_title_key ON papers (title_key);
CREATE INDEX papers_doi ON papers (doi) WHERE doi IS NOT NULL;
CREATE INDEX papers_published ON papers (published);
CREATE INDEX papers_changed ON papers (changed);

-- Ids a paper was known by before it got a better one (a page export's hash id, a DOI).
CREATE TABLE paper_aliases (
    alias TEXT PRIMARY KEY,
    pk    INTEGER NOT NULL REFERENCES papers (pk) ON DELETE CASCADE
) WITHOUT ROWID;

-- Resume points of online harvests, written in the same transaction as the papers they cover.
CREATE TABLE harvest_state (
    name       TEXT PRIMARY KEY,
    resume     TEXT,
    updated_at TEXT NOT NULL
);
