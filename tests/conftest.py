"""Shared fixtures: tiny random models (fast), full-size random architectures (from ../shared/models),
and paths into ../shared (or $SENTIMENT_SHARED), which skip with a reason when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from testkit.audio import with_noise  # noqa: F401
from testkit.models import make_full_size, make_tiny_bert, make_tiny_ctc  # noqa: F401
from testkit import SHARED  # noqa: F401

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never reach for the Hub
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parent.parent
SR = 16_000


@pytest.fixture(scope="session", autouse=True)
def onnx_cache(tmp_path_factory) -> Path:
    """ONNX exports of this session's models go to a temporary folder, not the user's cache."""
    folder = tmp_path_factory.mktemp("sentiment-cache")
    os.environ["SENTIMENT_CACHE"] = str(folder)
    return folder


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test with the reason."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs {path} (../shared is absent)")
    return path


def tone(seconds: float, freq: float = 220.0, amp: float = 0.3, seed: int = 0) -> np.ndarray:
    """A voiced-sounding test signal: a tone with a little noise."""
    t = np.arange(int(seconds * SR)) / SR
    rng = np.random.default_rng(seed)
    return (amp * np.sin(2 * np.pi * freq * t) + 0.01 * rng.standard_normal(t.size)).astype(np.float32)


@pytest.fixture(scope="session")
def tiny_ctc(tmp_path_factory) -> Path:
    return make_tiny_ctc(tmp_path_factory.mktemp("tiny-ctc"))


@pytest.fixture(scope="session")
def tiny_ctc_layer(tmp_path_factory) -> Path:
    return make_tiny_ctc(tmp_path_factory.mktemp("tiny-ctc-layer"), norm="layer")


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> Path:
    return make_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture(scope="session")
def full_ctc(tmp_path_factory) -> Path:
    return make_full_size(shared_path("models", "wav2vec2-base-960h"), tmp_path_factory.mktemp("w2v-base"),
                          "Wav2Vec2ForCTC")


@pytest.fixture(scope="session")
def full_bert(tmp_path_factory) -> Path:
    return make_full_size(shared_path("models", "bert-base-uncased"), tmp_path_factory.mktemp("bert-base"),
                          "BertModel")


@pytest.fixture(scope="session")
def real_call():
    """The real telephone call (scripts/real_voices.py, fetched once from PyPI), or a skip that says why."""
    from scripts import real_voices
    try:
        return real_voices.call()
    except FileNotFoundError as err:
        pytest.skip(f"the real call could not be fetched: {err}")


@pytest.fixture(scope="session")
def offline_pipe():
    """The real offline stack (Whisper base, MPNet, the committed head), loaded once for the session:
    every module that needs it shares it (a test that swaps a part puts it back)."""
    from sentiment.pipeline import load_pipeline
    return load_pipeline("offline", head=str(ROOT / "sentiment" / "heads" / "offline.safetensors"), device="cpu")


@pytest.fixture(scope="session")
def whisper(offline_pipe):
    """The offline stack's transcriber: the bundled Whisper base."""
    return offline_pipe.transcriber
