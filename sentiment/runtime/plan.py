"""Where and how each model runs, decided once: a ``Runtime`` per model, from the options (device,
backend, precision), the environment and the hardware. The model classes take it and never decide again;
results and ``sentiment info`` report it.

The rules, per model kind:
- ``wav2vec2`` and ``encoder`` run on PyTorch or ONNX Runtime. ``auto`` precision is bf16 on a GPU that
  has it (labels measured equal to fp32's, docs/gpu.md), else fp32; ``auto`` backend is ONNX Runtime on a
  CPU for fp32 and int8, else PyTorch. int8 is ONNX Runtime's dynamic quantisation, on a CPU, and only for
  the models whose labels it keeps (``INT8_REFUSED``); bf16 and fp16 are PyTorch's.
- ``whisper`` runs on CTranslate2 whatever ``--backend`` says (the option chooses for the other two);
  precision picks its compute type: ``auto`` is int8 on a CPU (the measured default, docs/models.md) and
  float16 on a GPU.
A combination that means nothing for a model fails here, before anything loads, naming the combination.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cache

from sentiment.registry import BACKENDS, PRECISIONS, TRANSCRIBERS

KINDS = (*TRANSCRIBERS, "encoder")
TORCH_DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}  # PyTorch precisions -> torch dtype
ONNX_PRECISIONS = ("fp32", "int8")
# CTranslate2 compute type per precision, on a CPU and on a GPU (None: it has no such kernels there).
COMPUTE_TYPES = {"fp32": ("float32", "float32"), "int8": ("int8", "int8_float16"),
                 "fp16": (None, "float16"), "bf16": (None, "bfloat16")}
# Models whose labels int8 does not keep: agreement with fp32 on sentiment3's test split, measured by
# bench/studies/int8_agreement.py (docs/speed.md); below 98 % the combination is refused.
INT8_REFUSED = {
    "sentence-transformers/all-mpnet-base-v2": "dynamic int8 keeps 30 % of its labels on sentiment3 test (measured "
                                               "with the head of 2026-12-02: macro-F1 0.259 against 0.741 in fp32)",
    "sentence-transformers/all-MiniLM-L6-v2": "dynamic int8 keeps 96.1 % of its labels on sentiment3 test (with the "
                                              "earlier offline head), under the 98 % the product asks",
}


@dataclass(frozen=True)
class Runtime:
    device: str  # cpu, cuda, cuda:1 ...
    backend: str  # torch, onnx or ctranslate2
    precision: str  # fp32, int8, bf16 or fp16
    compute_type: str | None = None  # CTranslate2's name for the precision (whisper only)

    @property
    def device_type(self) -> str:
        return self.device.split(":")[0]

    @property
    def torch_dtype(self):
        """The dtype PyTorch holds the weights in (int8 lives in ONNX Runtime: fp32 weights until exported)."""
        import torch
        return getattr(torch, TORCH_DTYPES.get(self.precision, "float32"))

    def __str__(self) -> str:
        extra = f" ({self.compute_type})" if self.compute_type and self.compute_type != self.precision else ""
        return f"{self.backend} {self.precision}{extra} on {self.device}"


def plan(kind: str, model: str = "", *, device: str | None = None, backend: str | None = None,
         precision: str | None = None, bf16: bool | None = None, onnx: bool | None = None) -> Runtime:
    """The runtime of one model of ``kind`` (``model`` is its name, for model-specific rules and messages).
    ``bf16`` (the GPU has bf16) and ``onnx`` (onnxruntime is installed) default to this machine's answer."""
    if kind not in KINDS:
        raise ValueError(f"Unknown model kind {kind!r}; expected one of {', '.join(KINDS)}")
    backend, precision = backend or "auto", precision or "auto"
    if backend not in BACKENDS:
        raise ValueError(f"Unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")
    if precision not in PRECISIONS:
        raise ValueError(f"Unknown precision {precision!r}; expected one of {', '.join(PRECISIONS)}")
    device = pick_device(device)
    gpu = device.startswith("cuda")
    if not gpu and device != "cpu":
        raise ValueError(f"--device {device}: expected auto, cpu, cuda or cuda:N")
    what = f"{kind} model {model}".strip()
    combination = f"precision {precision}, backend {backend}, device {device} for the {what}"
    if precision == "auto":
        precision = "bf16" if gpu and (has_bf16() if bf16 is None else bf16) else "fp32"
        if kind == "whisper":
            precision = "fp16" if gpu else "int8"
    if kind == "whisper":
        compute = COMPUTE_TYPES[precision][gpu]
        if compute is None:
            raise ValueError(f"{combination}: CTranslate2 has no {precision} on a CPU; use fp32 or int8")
        return Runtime(device, "ctranslate2", precision, compute)
    onnx = has_onnxruntime() if onnx is None else onnx
    if backend == "auto":
        backend = "onnx" if not gpu and onnx and precision in ONNX_PRECISIONS else "torch"
    if backend == "onnx" and gpu:
        raise ValueError(f"{combination}: ONNX Runtime runs here on the CPU; use --backend torch (or auto) on a GPU")
    if backend == "onnx" and not onnx:
        raise ValueError(f"{combination}: the onnx backend needs onnxruntime (pip install onnxruntime)")
    if precision == "int8" and backend != "onnx":
        raise ValueError(f"{combination}: int8 runs on ONNX Runtime on a CPU; use --backend onnx (or auto) on a CPU")
    if precision not in ONNX_PRECISIONS and backend == "onnx":
        raise ValueError(f"{combination}: {precision} runs on PyTorch; use --backend torch (or auto)")
    if precision == "int8" and model in INT8_REFUSED:
        raise ValueError(f"{combination}: refused, {INT8_REFUSED[model]}; use fp32 (the default on a CPU), or int8 "
                         f"for the transcriber alone (--precision transcriber=int8)")
    return Runtime(device, backend, precision)


def pick_device(device: str | None) -> str:
    """auto: a GPU when there is one; a GPU asked for must be there (its index included)."""
    gpus = gpu_count()
    if device in (None, "", "auto"):
        return "cuda" if gpus else "cpu"
    device = str(device)
    if device.startswith("cuda"):
        index = device.partition(":")[2]
        if not gpus:
            raise ValueError(f"--device {device}: no CUDA GPU is visible here (no driver, or CUDA_VISIBLE_DEVICES "
                             f"hides it); use --device cpu or auto")
        if index and (not index.isdigit() or int(index) >= gpus):
            raise ValueError(f"--device {device}: this machine has {gpus} GPU(s), cuda:0 to cuda:{gpus - 1}")
    return device


def gpu_count() -> int:
    import torch
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


@cache
def has_onnxruntime() -> bool:
    return importlib.util.find_spec("onnxruntime") is not None


def has_bf16() -> bool:
    import torch
    return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
