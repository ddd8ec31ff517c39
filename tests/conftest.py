"""Shared fixtures: tiny random models (fast), full-size random architectures (from ../shared/models),
and paths into ../shared, which skip with a reason when it is absent."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never reach for the Hub
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SR = 16_000
CTC_CHARS = list("ETAONIHSRDLUMWCFGYPBVK'XJQZ")


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


def make_tiny_ctc(folder: Path, norm: str = "group") -> Path:
    from transformers import (Wav2Vec2Config, Wav2Vec2CTCTokenizer, Wav2Vec2FeatureExtractor,
                              Wav2Vec2ForCTC)
    folder.mkdir(parents=True, exist_ok=True)
    vocab = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3, "|": 4, **{c: i + 5 for i, c in enumerate(CTC_CHARS)}}
    (folder / "vocab.json").write_text(json.dumps(vocab))
    Wav2Vec2CTCTokenizer(str(folder / "vocab.json")).save_pretrained(folder)
    Wav2Vec2FeatureExtractor(return_attention_mask=(norm == "layer")).save_pretrained(folder)
    torch.manual_seed(0)
    config = Wav2Vec2Config(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                            intermediate_size=37, conv_dim=(16,) * 7, num_conv_pos_embeddings=16,
                            num_conv_pos_embedding_groups=2, feat_extract_norm=norm,
                            do_stable_layer_norm=(norm == "layer"))
    Wav2Vec2ForCTC(config).save_pretrained(folder)
    return folder


def make_tiny_bert(folder: Path) -> Path:
    from transformers import BertConfig, BertModel, BertTokenizer
    folder.mkdir(parents=True, exist_ok=True)
    words = "i love hate this it is was good bad great awful fine okay the a movie day not very".split()
    letters = [c for c in "abcdefghijklmnopqrstuvwxyz'0123456789"]
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words, *letters, *("##" + c for c in letters)]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    BertTokenizer(str(folder / "vocab.txt")).save_pretrained(folder)
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=37)).save_pretrained(folder)
    return folder


def make_full_size(src: Path, folder: Path, cls_name: str) -> Path:
    """The real architecture and tokenizer files, random weights, saved like a Hub snapshot."""
    import transformers
    folder.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():
        shutil.copyfile(f, folder / f.name)
    torch.manual_seed(0)
    getattr(transformers, cls_name)(transformers.AutoConfig.from_pretrained(src)).save_pretrained(folder)
    return folder


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
def whisper():
    """The offline stack's transcriber: the bundled Whisper tiny.en."""
    from sentiment.transcribe import load_transcriber
    return load_transcriber("whisper")


def with_noise(wave: np.ndarray, snr_db: float, seed: int) -> np.ndarray:
    """White noise added at ``snr_db`` below the wave's own power."""
    noise = np.random.default_rng(seed).standard_normal(wave.size).astype(np.float32)
    return wave + noise * np.sqrt(np.mean(wave ** 2) / 10 ** (snr_db / 10))
