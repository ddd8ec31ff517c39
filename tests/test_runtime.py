"""Every stack x transcriber x precision x backend x device the registry offers: each either plans a runtime
that the models really build with (CPU rows, on tiny stand-ins of the same kinds) or fails before any model
loads, with a message naming the combination. CUDA rows are checked for their mapping only."""

import itertools

import pytest

from sentiment.registry import BACKENDS, PRECISIONS, STACKS, TRANSCRIBERS
from sentiment.runtime.plan import plan
from sentiment.stacks import resolve_stack
from sentiment.text.encoder import TextEncoder
from sentiment.transcribers import load_transcriber


@pytest.fixture
def one_gpu(monkeypatch):
    """Planning is pure: a runtime for cuda is planned as on a machine with one GPU (none is used)."""
    monkeypatch.setattr("sentiment.runtime.plan.gpu_count", lambda: 1)

COMBINATIONS = list(itertools.product(STACKS[1:], TRANSCRIBERS, PRECISIONS, BACKENDS))


def resolved(stack, transcriber, precision, backend, device="cpu"):
    """The stack's runtimes, or the ValueError it fails with (nothing is loaded either way)."""
    try:
        return resolve_stack(stack, transcriber=transcriber, precision=precision, backend=backend, device=device,
                             require_head=False)
    except ValueError as err:
        return err


@pytest.mark.slow  # 60 combinations, each building its models (about a minute)
@pytest.mark.parametrize("stack,transcriber,precision,backend", COMBINATIONS)
def test_cpu_combination_builds_with_its_runtime_or_fails_at_once(stack, transcriber, precision, backend, tiny_ctc,
                                                                  tiny_bert, monkeypatch):
    from sentiment.runtime import bundled
    looked_up = []
    monkeypatch.setattr(bundled, "encoder", lambda name: looked_up.append(name))  # nothing unpacked or hashed
    config = resolved(stack, transcriber, precision, backend)
    if isinstance(config, ValueError):
        assert not looked_up, "failed after looking for weights"
        assert f"precision {precision}, backend {backend}, device cpu" in str(config)
        return
    tr, en = config.transcriber_runtime, config.encoder_runtime
    assert en.device == tr.device == "cpu"
    stand_in = {"wav2vec2": str(tiny_ctc), "whisper": None}[transcriber]
    asr = load_transcriber(transcriber, stand_in, tr, **({"chunk_seconds": 2.0, "stride_seconds": 0.4}
                                                          if transcriber == "wav2vec2" else {}))
    assert asr.runtime == tr
    if transcriber == "whisper":
        # int8 is int8_float32 to CTranslate2
        assert tr.backend == "ctranslate2" and asr.model.model.compute_type.startswith(tr.compute_type)
    else:
        assert (asr.model is None) == (tr.backend == "onnx")
        if asr.model is not None:
            assert next(asr.model.parameters()).dtype == tr.torch_dtype
    encoder = TextEncoder(str(tiny_bert), en)
    assert (encoder.model is None) == (en.backend == "onnx")
    if en.backend == "onnx":
        assert encoder.pooled.path.name.endswith(f"-{en.precision}.onnx")
    else:
        assert next(encoder.model.parameters()).dtype == en.torch_dtype
    assert encoder.encode(["a good day"]).shape == (1, encoder.hidden_size)


@pytest.mark.parametrize("stack,transcriber,precision,backend", COMBINATIONS)
def test_cuda_rows_map_to_gpu_runtimes(stack, transcriber, precision, backend, monkeypatch, one_gpu):
    monkeypatch.setattr("sentiment.runtime.plan.has_bf16", lambda: True)
    monkeypatch.setattr("sentiment.runtime.bundled.encoder", lambda name: None)
    config = resolved(stack, transcriber, precision, backend, device="cuda")
    if isinstance(config, ValueError):
        assert f"precision {precision}, backend {backend}, device cuda" in str(config)
        assert backend == "onnx" or precision == "int8"  # ONNX Runtime and int8 are CPU paths
        return
    for runtime in (config.transcriber_runtime, config.encoder_runtime):
        assert runtime.device == "cuda" and runtime.backend in ("torch", "ctranslate2")
    if transcriber == "whisper":
        assert config.transcriber_runtime.compute_type == {"auto": "float16", "fp32": "float32", "int8": "int8_float16",
                                                           "bf16": "bfloat16", "fp16": "float16"}[precision]
    if precision == "auto":
        assert config.encoder_runtime.precision == "bf16"


def test_int8_changes_whisper_and_is_refused_for_mpnet():
    assert plan("whisper", device="cpu", precision="int8").compute_type == "int8"
    assert plan("whisper", device="cpu", precision="fp32").compute_type == "float32"
    assert plan("whisper", device="cpu").compute_type == "int8"  # auto on a CPU: the measured default
    with pytest.raises(ValueError, match="all-mpnet-base-v2: refused, dynamic int8 keeps 30 %"):
        resolve_stack("offline", precision="int8", device="cpu")
    assert plan("encoder", "google-bert/bert-base-uncased", device="cpu", precision="int8").backend == "onnx"



def test_a_gpu_asked_for_must_be_there(monkeypatch):
    from sentiment.runtime import plan as planning
    monkeypatch.setattr(planning, "gpu_count", lambda: 0)
    assert planning.pick_device("auto") == "cpu"
    with pytest.raises(ValueError, match=r"^--device cuda: no CUDA GPU is visible here"):
        planning.plan("encoder", device="cuda")
    monkeypatch.setattr(planning, "gpu_count", lambda: 1)
    assert planning.pick_device("auto") == "cuda" and planning.pick_device("cuda:0") == "cuda:0"
    with pytest.raises(ValueError, match=r"^--device cuda:1: this machine has 1 GPU\(s\), cuda:0 to cuda:0"):
        planning.plan("whisper", device="cuda:1")
