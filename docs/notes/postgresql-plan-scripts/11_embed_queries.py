"""Embed the 50 benchmark queries with papersift's own Embedder (all-MiniLM-L6-v2, fp32), so the
HNSW recall test uses real query vectors. Run with /work/main/.venv/bin/python (read-only use).
Writes /tmp/pgresearch/query_vectors.npy"""
import sys, os
sys.path.insert(0, os.path.dirname(__file__))
import numpy as np
from papersift.embed.embedder import Embedder
from queries import QUERIES
e = Embedder(cache_dir="/tmp/pgresearch/embcache")
v = e.embed(QUERIES)
np.save("/tmp/pgresearch/query_vectors.npy", v.astype(np.float32))
print(v.shape, np.linalg.norm(v, axis=1)[:3])
