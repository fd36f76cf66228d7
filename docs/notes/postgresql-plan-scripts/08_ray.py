"""Ray locally on 2 cores: ray.init() time, and Ray Data map_batches with a callable class
(the model is "loaded" once per actor: a 1 s sleep in __init__), in an actor pool of 2.
Usage: python 08_ray.py"""
import os, time
t0 = time.perf_counter()
import ray
t_import = time.perf_counter() - t0
t0 = time.perf_counter()
ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
t_init = time.perf_counter() - t0
print(f"ray {ray.__version__}: import {t_import:.1f}s, ray.init() {t_init:.1f}s", flush=True)
import numpy as np, ray.data

class Embedder:
    def __init__(self):
        time.sleep(1.0)  # stands for loading the ONNX model once per actor
        self.pid = os.getpid()
    def __call__(self, batch):
        n = len(batch["text"])
        return {"pk": batch["pk"], "vec": np.random.rand(n, 384).astype(np.float32), "actor": np.full(n, self.pid)}

items = [{"pk": i, "text": f"paper {i} " * 50} for i in range(20_000)]
t0 = time.perf_counter()
ds = ray.data.from_items(items).map_batches(Embedder, batch_size=256, compute=ray.data.ActorPoolStrategy(size=2), num_cpus=1)
out = ds.take_all()
t_run = time.perf_counter() - t0
print(f"map_batches over 20,000 rows with 2 actors: {t_run:.1f}s; rows {len(out)}; distinct actor pids {len({r['actor'] for r in out})}", flush=True)
t0 = time.perf_counter(); ray.shutdown(); print(f"ray.shutdown() {time.perf_counter() - t0:.1f}s")
