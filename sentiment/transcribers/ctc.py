"""wav2vec2-style CTC transcription: batched, chunked, greedy, with word timings.

Long recordings are cut into overlapping windows of equal length; each window keeps only the frames
of its own stretch (the overlap gives the model context on both sides), so memory stays flat and the
frames line up exactly with those of one long forward pass. Equal-length windows batch without
padding; short clips are sorted by length so that a batch pads little.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from collections.abc import Callable, Sequence

import numpy as np
import torch

from sentiment.runtime import onnx as onnx_runtime
from sentiment.runtime.plan import Runtime, plan
from sentiment.audio import SAMPLE_RATE
from sentiment.runtime.hub import from_pretrained
from sentiment.transcribers.transcript import Transcript, Word


GPU_BATCH_SECONDS = 480  # padded audio per forward pass on a GPU: 24 windows of 20 s, or about 50 clips
GPU_MAX_PADDING = 0.25  # at most a quarter of a window is padding


@dataclass(frozen=True)
class Window:
    clip: int
    start: int  # samples read: [start, end)
    end: int
    keep_from: int  # frames of this window that it owns: [keep_from, keep_to)
    keep_to: int


class CTCTranscriber:
    DEFAULT_MODEL = "facebook/wav2vec2-base-960h"

    def __init__(self, model: str = DEFAULT_MODEL, runtime: Runtime | None = None,
                 chunk_seconds: float = 20.0, stride_seconds: float = 2.0, batch_size: int | None = None,
                 batch_seconds: float | None = None, max_padding: float | None = None, **where):
        """``runtime``: where and how it runs (``plan("wav2vec2", ...)``); or ``device``, ``backend`` and
        ``precision`` as keywords, planned here by the same rules."""
        from transformers import AutoConfig, AutoFeatureExtractor, AutoModelForCTC, AutoTokenizer

        self.name = str(model)
        self.runtime = runtime = runtime or plan("wav2vec2", self.name, **where)
        self.device = torch.device(runtime.device)
        self.feature_extractor = from_pretrained(AutoFeatureExtractor, model)
        self.tokenizer = from_pretrained(AutoTokenizer, model)
        if self.feature_extractor.sampling_rate != SAMPLE_RATE:
            raise ValueError(f"{model} expects {self.feature_extractor.sampling_rate} Hz audio; "
                             f"this package feeds {SAMPLE_RATE} Hz")
        self.dtype = runtime.torch_dtype
        load = lambda: from_pretrained(AutoModelForCTC, model).eval().to(self.device, self.dtype)
        self.model = load() if runtime.backend == "torch" else None  # ONNX Runtime holds its own copy
        config = self.config = self.model.config if self.model is not None else from_pretrained(AutoConfig, model)
        self.hop = int(np.prod(config.conv_stride))  # samples per output frame (320)
        self.conv = list(zip(config.conv_kernel, config.conv_stride))
        # Group-norm models (base-960h) must get no attention mask: pad with zeros instead.
        self.use_mask = bool(self.feature_extractor.return_attention_mask)
        self.chunk = self._to_hops(chunk_seconds)
        self.stride = self._to_hops(stride_seconds)
        if self.chunk <= 2 * self.stride:
            raise ValueError("chunk_seconds must be more than twice stride_seconds")
        self.batch_size = batch_size or 10 ** 9  # no count limit unless asked: samples and padding decide
        # On a CPU a batch is no faster than its windows one by one (measured), so by default a batch holds at
        # most one full window (peak memory 1.6 GB instead of 2.2 GB for long audio) and only windows of
        # equal length, which need no padding (exact, no wasted work); a GPU gains from any batch.
        # A GPU batches by total samples, not by count: windows sorted by length, a batch closes at
        # ``batch_seconds`` of padded audio (it caps activation memory) or when a window would be padded by
        # more than ``max_padding`` of its length (length buckets: little padding, little wasted work).
        cpu = self.device.type == "cpu"
        self.batch_samples = int(batch_seconds * SAMPLE_RATE) if batch_seconds else self.chunk if cpu else \
            GPU_BATCH_SECONDS * SAMPLE_RATE
        self.max_padding = (0.0 if cpu else GPU_MAX_PADDING) if max_padding is None else max_padding
        self._pad = self.tokenizer.pad_token_id
        self._delimiter = self.tokenizer.convert_tokens_to_ids(self.tokenizer.word_delimiter_token)
        self._silent_ids = [i for i in self.tokenizer.all_special_ids if i not in (self._pad, self._delimiter)]
        vocab = self.tokenizer.get_vocab()
        self._chars = np.array([""] * (max(vocab.values()) + 1), dtype=object)
        for token, i in vocab.items():
            self._chars[i] = token
        self.onnx = self._prepare_onnx(str(model), load) if runtime.backend == "onnx" else None

    def _prepare_onnx(self, source: str, load) -> onnx_runtime.OnnxModule:
        """The cached export, keyed without loading the torch weights when their files can be named."""
        identity, loaded = onnx_runtime.weights_identity(source), None
        if identity is None:
            loaded = load()
            identity = onnx_runtime.weights_sample(loaded)
        key = onnx_runtime.cache_key("ctc-logits", self.config.to_json_string(), identity)
        example = {"input_values": torch.zeros(2, 2 * SAMPLE_RATE)}
        axes = {"input_values": {0: "batch", 1: "samples"}, "logits": {0: "batch", 1: "frames"}}
        if self.use_mask:  # with padding: a mask of all ones would let the model drop it from the traced graph
            example["attention_mask"] = torch.ones(2, 2 * SAMPLE_RATE, dtype=torch.int64)
            example["attention_mask"][1, SAMPLE_RATE:] = 0
            axes["attention_mask"] = {0: "batch", 1: "samples"}
        return onnx_runtime.OnnxModule(key, lambda: _Logits(loaded or load()), example, ["logits"], axes,
                                       self.runtime.precision, name=self.name)

    def transcribe(self, waves: Sequence[np.ndarray], beam_size: int | None = None) -> list[Transcript]:
        return [self.decode(clip_ids) for clip_ids in self.frame_ids(waves)]

    # -- frames ---------------------------------------------------------------------------------
    def frame_ids(self, waves: Sequence[np.ndarray],
                  logits_fn: Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor] | None = None
                  ) -> list[np.ndarray]:
        """Greedy CTC ids per frame for each wave, stitched from its windows (``decode`` makes each a
        transcript; ``logits_fn`` replaces the model, for tests). Every batch is queued before any result
        is read back, so on a GPU the next batch is built while the last one runs."""
        logits_fn = logits_fn or self.logits
        windows = [w for i, wave in enumerate(waves) for w in self.windows(i, len(wave))]
        queued = []
        with torch.inference_mode():
            for batch in self._batches(windows):
                queued.append((batch, logits_fn(*self._batch(waves, batch)).argmax(dim=-1)))
        pieces: dict[tuple[int, int], np.ndarray] = {}
        for batch, best in queued:
            for row, w in zip(best.cpu().numpy(), batch):
                pieces[(w.clip, w.start)] = row[w.keep_from:w.keep_to]
        per_clip: list[list[np.ndarray]] = [[] for _ in waves]
        for w in windows:  # in order of start within each clip
            per_clip[w.clip].append(pieces[(w.clip, w.start)])
        return [np.concatenate(parts) for parts in per_clip]

    def _batches(self, windows: list[Window]):
        """Longest first, so each batch pads little; at most ``batch_size`` windows, ``batch_samples``
        padded samples and ``max_padding`` of padding in any window per batch."""
        batch: list[Window] = []
        for w in sorted(windows, key=lambda w: w.end - w.start, reverse=True):
            longest = batch[0].end - batch[0].start if batch else w.end - w.start
            padding = 1 - (w.end - w.start) / longest
            if batch and (len(batch) == self.batch_size or (len(batch) + 1) * longest > self.batch_samples
                          or padding > self.max_padding):
                yield batch
                batch = []
            batch.append(w)
        if batch:
            yield batch

    def windows(self, clip: int, n: int) -> list[Window]:
        """Windows of ``chunk`` samples every ``chunk - 2*stride``; their kept frames tile the clip."""
        if n <= self.chunk:
            return [Window(clip, 0, n, 0, self.num_frames(n))]
        step, windows, start = self.chunk - 2 * self.stride, [], 0
        while True:
            end = min(start + self.chunk, n)
            keep_from = 0 if start == 0 else self.stride // self.hop
            keep_to = self.num_frames(end - start) if end == n else (self.chunk - self.stride) // self.hop
            windows.append(Window(clip, start, end, keep_from, keep_to))
            if end == n:
                return windows
            start += step

    def num_frames(self, n: int) -> int:
        """Output frames of the convolutional feature encoder for ``n`` samples."""
        for kernel, stride in self.conv:
            n = max(0, (n - kernel) // stride + 1)
        return n

    def _batch(self, waves, batch: list[Window]) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Raw samples zero-padded into one tensor (pinned and copied without blocking on a GPU), then
        normalised there, all rows at once, each over its own samples only: the feature extractor's
        zero-mean unit-variance formula, vectorised, so padding never enters a mean or variance."""
        longest = batch[0].end - batch[0].start
        gpu = self.device.type == "cuda"
        raw = torch.zeros(len(batch), longest, dtype=torch.float32, pin_memory=gpu)
        for row, w in enumerate(batch):
            raw[row, :w.end - w.start] = torch.from_numpy(np.ascontiguousarray(waves[w.clip][w.start:w.end]))
        raw = raw.to(self.device, non_blocking=gpu)
        lengths = torch.tensor([w.end - w.start for w in batch], device=self.device)
        mask = torch.arange(longest, device=self.device)[None, :] < lengths[:, None]
        if self.feature_extractor.do_normalize:
            n = lengths[:, None].to(torch.float32)
            mean = (raw * mask).sum(1, keepdim=True) / n
            var = (((raw - mean) * mask) ** 2).sum(1, keepdim=True) / n
            raw = (raw - mean) / torch.sqrt(var + 1e-7) * mask
        return raw.to(self.dtype), (mask.to(torch.int64) if self.use_mask else None)

    def logits(self, inputs: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """The model's output for one batch of ``_batch``'s inputs, on ONNX Runtime or PyTorch."""
        if self.onnx is not None:
            return self.onnx(input_values=inputs, **({"attention_mask": mask} if self.use_mask else {}))[0]
        return self.model(inputs, attention_mask=mask).logits

    def _to_hops(self, seconds: float) -> int:
        return max(1, math.ceil(seconds * SAMPLE_RATE / self.hop)) * self.hop

    # -- text -----------------------------------------------------------------------------------
    def decode(self, ids: np.ndarray) -> Transcript:
        """Greedy CTC collapse with word timings, vectorised (the tokenizer's own ``decode`` with word
        offsets gives the same words and times, tested, at about a tenth of the speed)."""
        # Blank out <s>, </s>, <unk> rather than skipping them: skipping would shift the frame offsets
        # and merge letters that a blank kept apart ("L <pad> L").
        ids = np.where(np.isin(ids, self._silent_ids), self._pad, np.asarray(ids, dtype=np.int64))
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]) if ids.size else np.zeros(0, dtype=np.int64)
        ends = np.r_[starts[1:], ids.size]
        keep = ids[starts] != self._pad
        tokens, starts, ends = ids[starts][keep], starts[keep], ends[keep]
        space = tokens == self._delimiter
        first = np.flatnonzero(~space & np.r_[True, space[:-1]])  # a word starts after a delimiter
        last = np.flatnonzero(~space & np.r_[space[1:], True])
        seconds = self.hop / SAMPLE_RATE
        words = [Word("".join(self._chars[tokens[a:b + 1]]).lower(), round(float(starts[a] * seconds), 3),
                      round(float(ends[b] * seconds), 3)) for a, b in zip(first, last)]
        return Transcript(" ".join(w.text for w in words), words)


class _Logits(torch.nn.Module):
    """The model's forward with plain tensors in and out, as ONNX export wants it."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model, self.config = model, model.config

    def forward(self, input_values: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.model(input_values, attention_mask=attention_mask).logits
