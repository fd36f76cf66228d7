-- What a paper's own text says about code and results (papersift.extract, at import), and what
-- the Papers with Code archive says (curated, imported by `papersift pwc import`).

-- Extracted from the paper's title, abstract and comment; rewritten with the paper.
CREATE TABLE code_links (
    pk       INTEGER NOT NULL REFERENCES papers (pk) ON DELETE CASCADE,
    kind     TEXT    NOT NULL CHECK (kind IN ('code', 'project')),
    position INTEGER NOT NULL,                 -- order of appearance in the text
    url      TEXT    NOT NULL,                 -- normalised: host/owner/repo for code
    PRIMARY KEY (pk, kind, position)
) WITHOUT ROWID;
CREATE INDEX code_links_by_url ON code_links (url);

CREATE TABLE reported_results (
    pk       INTEGER NOT NULL REFERENCES papers (pk) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    dataset  TEXT    NOT NULL,                 -- as written; the alias table names it at read time
    metric   TEXT    NOT NULL,
    value    REAL    NOT NULL,
    evidence TEXT    NOT NULL,                 -- the span of the abstract that reports it
    model    TEXT,
    PRIMARY KEY (pk, position)
) WITHOUT ROWID;
CREATE INDEX reported_results_by_dataset ON reported_results (dataset, metric);

ALTER TABLE papers ADD COLUMN code_promised INTEGER NOT NULL DEFAULT 0;

-- Papers with Code's archive, keyed by arXiv id (its rows name papers by URL; a paper imported
-- later still finds its rows). Curated rows win over extracted ones for the same paper.
CREATE TABLE curated_code_links (
    arxiv_id TEXT NOT NULL,
    url      TEXT NOT NULL,                    -- normalised like extracted links
    official INTEGER NOT NULL DEFAULT 0,       -- the authors' own repository
    PRIMARY KEY (arxiv_id, url)
) WITHOUT ROWID;
CREATE INDEX curated_code_links_by_url ON curated_code_links (url);

CREATE TABLE curated_results (
    id          INTEGER PRIMARY KEY,
    arxiv_id    TEXT,                          -- NULL: a row whose paper has no arXiv id
    paper_title TEXT NOT NULL,
    paper_url   TEXT,
    task        TEXT NOT NULL DEFAULT '',
    dataset     TEXT NOT NULL,                 -- as Papers with Code named it
    metric      TEXT NOT NULL,
    value       REAL NOT NULL,
    value_text  TEXT NOT NULL,                 -- as published ("85.3%", "1.2M")
    model       TEXT NOT NULL DEFAULT '',      -- '' when the row names none
    published   TEXT,
    UNIQUE (paper_title, dataset, metric, model)
);
CREATE INDEX curated_results_by_dataset ON curated_results (dataset, metric);
CREATE INDEX curated_results_by_arxiv ON curated_results (arxiv_id);
