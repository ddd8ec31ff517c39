"""Frozen torch modules run by ONNX Runtime: the fast CPU path, with int8 as an opt-in.

Why: on a CPU, ONNX Runtime's matrix products and convolutions run wav2vec2-base about 1.4x faster
than eager PyTorch with the same argmax (``bench/benchmark.py``). A module is exported once and cached
on disk under a key made of its class, config, a sample of its weights, the precision and the library
versions, so later starts only load the file. ``int8`` quantises the weights of every matrix product
(dynamic quantisation); its agreement with fp32 is measured by ``bench/benchmark.py --agreement``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

log = logging.getLogger(__name__)

PRECISIONS = ("fp32", "int8")
BACKENDS = ("auto", "torch", "onnx")
EXPORT_VERSION = "1"  # bump when the export recipe changes, so old cache entries are not reused


def available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def pick_backend(backend: str | None, device: str, precision: str) -> str:
    """``auto``: ONNX Runtime on a CPU when it is installed, else eager PyTorch."""
    backend = backend or "auto"
    if backend not in BACKENDS:
        raise ValueError(f"Unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")
    if precision not in PRECISIONS:
        raise ValueError(f"Unknown precision {precision!r}; expected one of {', '.join(PRECISIONS)}")
    if backend == "auto":
        backend = "onnx" if str(device) == "cpu" and available() else "torch"
    if backend == "onnx" and str(device) != "cpu":
        raise ValueError("the onnx backend runs on the CPU; use --backend torch on a GPU")
    if backend == "onnx" and not available():
        raise ValueError("the onnx backend needs onnxruntime: pip install onnxruntime")
    if precision != "fp32" and backend != "onnx":
        raise ValueError(f"precision {precision} needs the onnx backend (CPU)")
    return backend


def cache_dir() -> Path:
    return Path(os.environ.get("SENTIMENT_CACHE") or Path.home() / ".cache" / "sentiment") / "onnx"


def cache_key(module: torch.nn.Module, precision: str, extra: str = "") -> str:
    """Changes whenever the exported file would: class, config, weights (a sample of every tensor),
    precision, recipe and library versions. Hashing a sample keeps this to milliseconds."""
    import onnxruntime
    import transformers

    h = hashlib.sha256()
    config = getattr(module, "config", None)
    for part in (type(module).__name__, config.to_json_string() if config is not None else "", extra, precision,
                 EXPORT_VERSION, torch.__version__, transformers.__version__, onnxruntime.__version__):
        h.update(str(part).encode() + b"\0")
    for name, tensor in module.state_dict().items():
        flat = tensor.detach().reshape(-1)
        h.update(name.encode() + str(tuple(tensor.shape)).encode())
        h.update(flat[:: max(1, flat.numel() // 4096)].float().cpu().numpy().tobytes())
    return h.hexdigest()[:24]


class OnnxModule:
    """Calls like the module it was exported from, on numpy or torch inputs; returns torch tensors."""

    def __init__(self, module: torch.nn.Module, example: dict[str, torch.Tensor], outputs: Sequence[str],
                 dynamic: dict[str, dict[int, str]], precision: str = "fp32", key_extra: str = "",
                 threads: int | None = None):
        import onnxruntime as ort

        self.inputs, self.outputs = list(example), list(outputs)
        path = cache_dir() / f"{cache_key(module, precision, key_extra)}-{precision}.onnx"
        if not path.is_file():
            export(module, example, self.outputs, dynamic, precision, path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.log_severity_level = 3  # warnings about unused initialisers are not the user's concern
        self.path = path
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def __call__(self, **inputs: torch.Tensor | np.ndarray) -> list[torch.Tensor]:
        feeds = {k: np.ascontiguousarray(v.cpu().numpy() if torch.is_tensor(v) else v) for k, v in inputs.items()
                 if k in self.inputs}
        return [torch.from_numpy(a) for a in self.session.run(self.outputs, feeds)]


def export(module: torch.nn.Module, example: dict[str, torch.Tensor], outputs: Sequence[str],
           dynamic: dict[str, dict[int, str]], precision: str, path: Path) -> Path:
    """Trace ``module`` to ONNX (and quantise for int8) into ``path``, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    log.warning("Preparing %s for ONNX Runtime (%s), once; cached in %s", type(module).__name__, precision,
                path.parent)
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
            quantize_dynamic(fp32, final, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"],
                             per_channel=True)
        os.replace(final, path)
    log.warning("Prepared in %.1f s: %s", time.perf_counter() - t0, path.name)
    return path
