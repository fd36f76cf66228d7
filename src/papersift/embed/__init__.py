"""Text to vectors, offline and without torch (see `embedder.py`); model files come from packages.

Importing this package is cheap: ONNX Runtime and tokenizers load when an `Embedder` is made.
"""

from papersift.embed.embedder import Embedder, Precision
from papersift.embed.models import DEFAULT_MODEL, ModelUnavailable, locate_model
from papersift.embed.text import paper_text

__all__ = ["DEFAULT_MODEL", "Embedder", "ModelUnavailable", "Precision", "locate_model", "paper_text"]
