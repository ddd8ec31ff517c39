"""Batch prediction on Ray Data: the same pipeline, run by a pool of Ray actors that each load the models
once, on one machine or a cluster. Inputs are read by Ray (``read_binary_files``: local paths, and s3://
or gs:// where their filesystem libraries are installed), results stream back to the caller as they are
done, one row per input; an input that cannot be used gets its error in the row and the run goes on.

Install the extra first: ``pip install -r requirements-ray.txt`` (or ``pip install '.[ray]'``).
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Iterator, Sequence

from sentiment.audio import DEFAULT_MAX_SECONDS, NamedBytes, check_file, read_stretch
from sentiment.errors import AudioError, MissingDependencyError
from sentiment.result import to_row

log = logging.getLogger(__name__)


def require_ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as err:
        raise MissingDependencyError("--engine ray needs Ray Data: pip install -r requirements-ray.txt "
                                     "(or pip install 'speech-sentiment[ray]')") from err
    return ray


def start(address: str | None = None):
    """Join the cluster at ``address`` (or RAY_ADDRESS), else start Ray here with this machine's cores."""
    ray = require_ray()
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 logging_level=logging.WARNING)
    # Our progress bar counts files; Ray Data's own bars and status lines only when asked for (-v).
    verbose = logging.getLogger().isEnabledFor(logging.INFO)
    ray.data.DataContext.get_current().enable_progress_bars = verbose
    logging.getLogger("ray.data").setLevel(logging.INFO if verbose else logging.WARNING)
    return ray


def share_cores(cores: int, workers: int | None) -> tuple[int, int]:
    """(actors, threads per actor) so that actors × threads = cores: one single-threaded actor per core
    unless ``workers`` says otherwise (measured in bench/speed/ray_batch.py: one thread per actor scales best)."""
    workers = max(1, min(workers or cores, cores))
    return workers, max(1, cores // workers)


class Predictor:
    """One Ray actor: the pipeline loaded once (its own threads capped), then batches of inputs."""

    def __init__(self, options, threads: int, max_seconds: float, call: dict | None = None):
        """``options``: ``load_pipeline``'s keyword options (resolved on the actor, where its GPU is), or a
        resolved ``StackConfig`` (the same runtimes as the caller's); ``call``: ``predict``'s speaker
        options (``enroll``'s samples are enrolled here, once)."""
        import torch

        torch.set_num_threads(threads)  # ONNX Runtime and CTranslate2 take the same number (onnx_runtime, whisper)
        os.environ["OMP_NUM_THREADS"] = str(threads)
        from sentiment.pipeline import load_pipeline

        given = options if isinstance(options, dict) else {"config": options}
        self.pipe = load_pipeline(max_seconds=max_seconds, **given)
        self.call = dict(call or {})
        if self.call.get("enroll"):
            self.call["enroll"] = self.pipe.enroll(self.call["enroll"])

    def __call__(self, batch: dict) -> dict:
        if "bytes" in batch:  # read by Ray: whole files
            sources = [NamedBytes(b, os.path.basename(p)) for b, p in zip(batch["bytes"], batch["path"])]
        else:  # stretches of files, read here (SLUE's utterances)
            sources = [read_stretch(p, s, e) for p, s, e in zip(batch["path"], batch["start"], batch["end"])]
        results = self.pipe.predict(sources, return_errors=True, **self.call)
        rows = [to_row(p, r) for p, r in zip(batch["path"], results)]
        for row, index in zip(rows, batch.get("index", [])):
            row["index"] = int(index)  # stretches: several may come from one file
        return {"row": [json.dumps(row) for row in rows]}


def predict_on_ray(inputs: Sequence[str], options, *, address: str | None = None,
                   workers: int | None = None, batch_size: int = 8, gpus_per_worker: float = 0.0,
                   max_seconds: float = DEFAULT_MAX_SECONDS, stretches: Sequence[tuple] | None = None,
                   call: dict | None = None) -> Iterator[list[dict]]:
    """Rows as they are done, a list per finished block, for ``inputs`` (local paths or URIs); each row
    has the input's ``index``; ``call``: ``predict``'s speaker options (enrolment samples as local paths:
    read here and sent to the actors). Local files that do not exist get their error row at once; with
    ``stretches`` ((start, end) per input, or None) the actors read those stretches themselves. Every
    input gets exactly one row."""
    call = dict(call or {})
    if call.get("enroll"):
        call["enroll"] = {name: NamedBytes(check_file(path).read_bytes(), os.path.basename(path))
                          for name, path in call["enroll"].items()}
    ray = start(address)
    cores = int(ray.cluster_resources().get("CPU", 1))
    actors, threads = share_cores(cores, workers)
    log.info("Ray: %d CPUs, %d actors x %d threads", cores, actors, threads)
    pending, rows = {}, []  # index -> input
    for i, item in enumerate(map(str, inputs)):
        try:
            pending[i] = item if "://" in item else str(check_file(item)) and item
        except AudioError as err:  # the same row the local engine writes for it
            rows.append({"index": i, **to_row(item, err)})
    if rows:
        yield rows
    if not pending:
        return
    if stretches is not None:
        ds = ray.data.from_items([{"index": i, "path": item, "start": _nan(stretches[i][0]),
                                   "end": _nan(stretches[i][1])} for i, item in pending.items()])
    else:
        # Reading is I/O: it asks for no CPU, which the actors hold (else the reads wait for them forever).
        ds = ray.data.read_binary_files([_ray_path(item) for item in pending.values()], include_paths=True,
                                        ignore_missing_paths=True, num_cpus=0)
    by_key = {_key(item): i for i, item in pending.items()}
    done = ds.map_batches(Predictor, fn_constructor_kwargs={"options": options, "threads": threads,
                                                            "max_seconds": max_seconds, "call": call},
                          batch_size=batch_size, compute=ray.data.ActorPoolStrategy(size=actors),
                          num_cpus=threads, num_gpus=gpus_per_worker or None)
    for block in done.iter_batches(batch_size=None, batch_format="numpy"):
        out = []
        for text in block["row"]:
            row = json.loads(text)
            index = row.pop("index", None)
            index = by_key.get(_key(row["path"])) if index is None else index
            out.append({**row, "path": pending.pop(index, row["path"]), "index": index})
        yield out
    if pending:  # a path Ray could not read (a URI that vanished between listing and reading)
        yield [{"index": i, "path": item, "error": f"Not found or not readable: {item}"} for i, item in pending.items()]


def _key(path: str) -> str:
    """One spelling per input: Ray gives local paths back absolute and URIs without their scheme."""
    return path.split("://", 1)[1] if "://" in path else os.path.abspath(path)


def _ray_path(item: str) -> str:
    return item if "://" in item else os.path.abspath(item)


def _nan(value) -> float:
    return math.nan if value is None else float(value)
