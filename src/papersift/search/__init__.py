"""Search: the query language (`query`), the in-memory BM25F keyword index (`keyword`), snippets."""
