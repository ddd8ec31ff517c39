"""Frozen torch modules run by ONNX Runtime: the fast CPU path, with int8 as an opt-in
(where it keeps the labels: runtime/plan.py decides).

Why: on a CPU, ONNX Runtime runs wav2vec2-base and BERT faster than eager PyTorch, with the same argmax
(``bench/speed/mission.py``, ``tests/test_fullsize.py``). A module is exported once and cached
on disk under a key made of what it is, its config, the identity of its weight files, the precision and
the library versions, so later starts load only that file, not the torch weights. ``int8`` quantises
the weights of every matrix product (dynamic quantisation); ``bench/speed/mission.py`` measures its
agreement with fp32.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
import warnings
from pathlib import Path
from collections.abc import Callable, Sequence

import numpy as np
import torch


log = logging.getLogger(__name__)

EXPORT_VERSION = "1"  # bump when the export recipe changes, so old cache entries are not reused


def cache_dir() -> Path:
    return Path(os.environ.get("SENTIMENT_CACHE") or Path.home() / ".cache" / "sentiment") / "onnx"


def weights_identity(source: str) -> str | None:
    """Who the weight files behind a Hub id or folder are, without loading them: resolved path, size
    and modification time of each (a Hub snapshot's files are content-addressed blobs). None when the
    files cannot be found this way (sharded or unusual layouts): then the loaded weights are sampled."""
    folder = Path(source)
    if folder.is_dir():
        files = sorted(p for pattern in ("*.safetensors", "*.bin") for p in folder.glob(pattern))
    else:
        from transformers.utils import cached_file
        try:
            found = cached_file(source, "model.safetensors", _raise_exceptions_for_missing_entries=False)
        except OSError:
            found = None
        files = [Path(found)] if found else []
    if not files:
        return None
    stats = [(p.resolve(), p.stat()) for p in files]
    return ";".join(f"{path}:{st.st_size}:{st.st_mtime_ns}" for path, st in stats)


def weights_sample(module: torch.nn.Module) -> str:
    """A fingerprint of loaded weights: a strided sample of every tensor (milliseconds, not seconds)."""
    h = hashlib.sha256()
    for name, tensor in module.state_dict().items():
        flat = tensor.detach().reshape(-1)
        h.update(name.encode() + str(tuple(tensor.shape)).encode())
        h.update(flat[:: max(1, flat.numel() // 4096)].float().cpu().numpy().tobytes())
    return h.hexdigest()


def cache_key(*parts: str) -> str:
    """Changes whenever the exported file would: the caller's parts (what, config, weights, precision)
    plus the export recipe and library versions."""
    import onnxruntime
    import transformers

    h = hashlib.sha256()
    for part in (*parts, EXPORT_VERSION, torch.__version__, transformers.__version__, onnxruntime.__version__):
        h.update(str(part).encode() + b"\0")
    return h.hexdigest()[:24]


class OnnxModule:
    """Calls like the module it was exported from, on numpy or torch inputs; returns torch tensors.

    ``build`` makes the torch module and is called only when the export is not cached yet, so a warm
    start never loads the torch weights."""

    def __init__(self, key: str, build: Callable[[], torch.nn.Module], example: dict[str, torch.Tensor],
                 outputs: Sequence[str], dynamic: dict[str, dict[int, str]], precision: str = "fp32",
                 threads: int | None = None, name: str = "model", prepack: bool = True):
        import onnxruntime as ort

        self.inputs, self.outputs = list(example), list(outputs)
        self.path = cache_dir() / f"{key}-{precision}.onnx"
        if not self.path.is_file():
            export(build(), example, self.outputs, dynamic, precision, self.path, name)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.log_severity_level = 3  # warnings about unused initialisers are not the user's concern
        # No busy-waiting between runs: the transcriber's and the encoder's thread pools take turns, and
        # spinning ones would steal the cores from each other (and from torch) after every call.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # Inputs change shape every call: a memory pattern planned for one shape only adds peak memory
        # (230 MB on a 10-minute recording, bench/speed/long_memory.py), never speed.
        options.enable_mem_pattern = False
        if not prepack:  # weights kept once, not also in a packed copy: for models that stay loaded beside
            options.add_session_config_entry("session.disable_prepacking", "1")  # a bigger one
        self.session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])

    def __call__(self, **inputs: torch.Tensor | np.ndarray) -> list[torch.Tensor]:
        feeds = {k: np.ascontiguousarray(v.cpu().numpy() if torch.is_tensor(v) else v) for k, v in inputs.items()
                 if k in self.inputs}
        return [torch.from_numpy(a) for a in self.session.run(self.outputs, feeds)]


def export(module: torch.nn.Module, example: dict[str, torch.Tensor], outputs: Sequence[str],
           dynamic: dict[str, dict[int, str]], precision: str, path: Path, name: str = "model") -> Path:
    """Trace ``module`` to ONNX (and quantise for int8) into ``path``, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    log.warning("Preparing %s for ONNX Runtime (%s), once; cached in %s", name, precision, path.parent)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        with warnings.catch_warnings(), torch.inference_mode():
            # The TorchScript exporter: the dynamo one (25 s here) fixes a batch of one into the graph.
            warnings.simplefilter("ignore")
            torch.onnx.export(module.eval(), tuple(example.values()), str(fp32), input_names=list(example),
                              output_names=list(outputs), dynamic_axes=dynamic, dynamo=False, opset_version=17)
        final = fp32
        if precision == "int8":
            from onnxruntime.quantization import QuantType, quantize_dynamic
            final = Path(tmp) / "int8.onnx"
            logging.disable(logging.WARNING)  # the quantiser's generic advice, printed to the root logger
            try:
                quantize_dynamic(fp32, final, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"],
                                 per_channel=True)
            finally:
                logging.disable(logging.NOTSET)
        os.replace(final, path)
    log.warning("Prepared in %.1f s: %s", time.perf_counter() - t0, path.name)
    return path
