-- Embeddings are data, not a cache: they cost minutes to compute, so they live in the store and
-- are committed batch by batch (an interrupted embedding run resumes where it stopped).
-- `model` names the model and precision that made the vector; several may coexist.
-- `text_hash` is a hash of the text that was embedded: a paper whose metadata changes but whose
-- title and abstract do not is not embedded again. `sequence` orders writes so the vector index
-- beside the database can catch up with only what changed.
CREATE TABLE embeddings (
    model     TEXT    NOT NULL,
    pk        INTEGER NOT NULL REFERENCES papers (pk) ON DELETE CASCADE,
    text_hash BLOB    NOT NULL,
    vector    BLOB    NOT NULL,  -- float32, little-endian, unit length
    sequence  INTEGER NOT NULL,
    PRIMARY KEY (model, pk)
) WITHOUT ROWID;

CREATE INDEX embeddings_by_sequence ON embeddings (model, sequence);
