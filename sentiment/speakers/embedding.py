"""Who a stretch of speech sounds like: Resemblyzer's GE2E speaker encoder (a 3-layer LSTM over 40 mel bands,
256-d unit vectors; two stretches of one voice score a high cosine similarity).

The weights come from the ``resemblyzer`` wheel, checked against upstream's SHA-256 and read as tensors only
(``weights_only=True``: no code runs from the file). The network is re-declared here, with the mel features
computed by torchaudio, so that neither resemblyzer's librosa nor its webrtcvad is needed.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import torchaudio
from torch import nn

from sentiment.errors import ModelUnavailableError
from sentiment.runtime import bundled

SAMPLE_RATE = 16_000
HOP = 160  # 10 ms mel frames
PARTIAL_FRAMES = 160  # the encoder sees 1.6 s at a time; a longer stretch is the mean of its partials
MIN_SECONDS = 0.4  # shorter stretches are padded with silence up to here; below it a voice is guesswork


class VoiceEncoder(nn.Module):
    def __init__(self, weights: str | None = None):
        super().__init__()
        self.lstm = nn.LSTM(40, 256, 3, batch_first=True)
        self.linear = nn.Linear(256, 256)
        path = weights or bundled.voice_encoder()
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)["model_state"]
            self.load_state_dict({k: v for k, v in state.items() if k.split(".")[0] in ("lstm", "linear")})
        except (KeyError, RuntimeError, OSError) as err:
            raise ModelUnavailableError(f"Could not read the speaker encoder weights {path}: {err}") from err
        self.mel = torchaudio.transforms.MelSpectrogram(  # librosa's defaults, as the model was trained with
            SAMPLE_RATE, n_fft=400, hop_length=HOP, n_mels=40, norm="slaney", mel_scale="slaney")
        self.eval()

    @torch.inference_mode()
    def embed(self, stretches: list[np.ndarray], step: int = PARTIAL_FRAMES) -> np.ndarray:
        """(len(stretches), 256) unit vectors. Each stretch is cut into 1.6 s partials every ``step`` frames
        (the last one padded), all partials of all stretches go through the LSTM as one batch, and a
        stretch's vector is the normalised mean of its partials'."""
        if not stretches:
            return np.zeros((0, 256), np.float32)
        partials, owner = [], []
        for i, wave in enumerate(stretches):
            wave = torch.as_tensor(_loudness(np.asarray(wave, np.float32)))
            mel = self.mel(wave).T  # (frames, 40)
            starts = range(0, max(1, mel.shape[0] - PARTIAL_FRAMES // 4), step)
            for s in starts:
                part = mel[s:s + PARTIAL_FRAMES]
                partials.append(torch.nn.functional.pad(part, (0, 0, 0, PARTIAL_FRAMES - part.shape[0])))
                owner.append(i)
        _, (hidden, _) = self.lstm(torch.stack(partials))
        vectors = torch.relu(self.linear(hidden[-1]))
        vectors = vectors / vectors.norm(dim=1, keepdim=True).clamp_min(1e-8)
        owner = torch.tensor(owner)
        means = torch.zeros(len(stretches), 256).index_add_(0, owner, vectors)
        return torch.nn.functional.normalize(means, dim=1).numpy()


def _loudness(wave: np.ndarray, target_dbfs: float = -30.0) -> np.ndarray:
    """Quiet speech raised to -30 dBFS (never lowered), as the encoder's training data was; and padded to
    ``MIN_SECONDS``."""
    rms = float(np.sqrt(np.mean(wave ** 2))) if wave.size else 0.0
    if 0 < rms < 10 ** (target_dbfs / 20):
        wave = wave * (10 ** (target_dbfs / 20) / rms)
    return np.pad(wave, (0, max(0, int(MIN_SECONDS * SAMPLE_RATE) - wave.size)))


@lru_cache(maxsize=2)
def load_voice_encoder(weights: str | None = None) -> VoiceEncoder:
    return VoiceEncoder(weights)
