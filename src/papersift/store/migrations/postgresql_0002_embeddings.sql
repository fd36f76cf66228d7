-- Embeddings (as sqlite_0002), in pgvector's type. The column has no dimension, since models
-- differ; the store adds one HNSW index per model, over `vector::vector(<its dimension>)`.
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE embeddings (
    model     text   NOT NULL,
    pk        bigint NOT NULL REFERENCES papers (pk) ON DELETE CASCADE,
    text_hash bytea  NOT NULL,
    vector    vector NOT NULL,
    sequence  bigint NOT NULL,
    PRIMARY KEY (model, pk)
);
CREATE INDEX embeddings_by_sequence ON embeddings (model, sequence);
