"""50 benchmark queries: 40 typical 2-4 word topic queries and 10 paragraph-like queries
(the first 150-250 words of random real abstracts, fixed seed)."""
import random, sqlite3

SHORT = """graph neural networks|diffusion models for video|large language model agents|retrieval augmented generation
|federated learning privacy|reinforcement learning from human feedback|vision transformer|point cloud segmentation
|speech recognition low resource|code generation benchmark|neural radiance fields|knowledge distillation
|contrastive learning|mixture of experts|quantum machine learning|autonomous driving planning
|medical image segmentation|adversarial robustness|time series forecasting|text to image generation
|multi agent reinforcement learning|large language models reasoning|graph transformers|few shot learning
|hallucination detection|protein structure prediction|recommender systems|sparse attention
|model compression quantization|robot manipulation|anomaly detection|sign language translation
|music generation|differential privacy|causal inference|3d gaussian splatting
|instruction tuning|chain of thought|spiking neural networks|explainable AI""".replace("\n", "").split("|")


def paragraphs(n=10, seed=11):
    rows = sqlite3.connect("file:/tmp/loadtest/arxiv75k.db?mode=ro", uri=True).execute(
        "select abstract from papers order by pk").fetchall()
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        words = rng.choice(rows)[0].split()
        out.append(" ".join(words[: rng.randint(150, 250)]))
    return out


QUERIES = [q.strip() for q in SHORT] + paragraphs()
assert len(QUERIES) == 50
