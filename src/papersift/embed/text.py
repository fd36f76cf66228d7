"""The one string a paper is embedded as: its title and abstract.

`paper_text` is shared by the embedder and by `tools/make_reference_embeddings.py`, so the
reference vectors and papersift's vectors always come from the same string.
"""

from __future__ import annotations


def paper_text(title: str, abstract: str) -> str:
    """`"Title. Abstract"`: whitespace collapsed; no period added after a title ending in `.?!`.

    A plain sentence join, the form all-MiniLM-L6-v2 saw in training (it was tuned on
    title/body pairs as separate sentences; one running text is its natural input).
    """
    title = " ".join(title.split())
    abstract = " ".join(abstract.split())
    if not title or not abstract:
        return title or abstract
    joiner = " " if title[-1] in ".?!" else ". "
    return title + joiner + abstract
