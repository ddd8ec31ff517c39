"""The frozen text encoder: any BERT-like Hub id or folder, pooled to one vector per text."""

from __future__ import annotations

from pathlib import Path
from collections.abc import Sequence

import torch

from sentiment.runtime import onnx as onnx_runtime
from sentiment.text.adapter import Adapter
from sentiment.runtime.plan import Runtime, plan
from sentiment.runtime.hub import from_pretrained
from sentiment.registry import POOLINGS

# ONNX Runtime keeps no packed copy of the encoder's weights: the encoder waits beside the transcriber, and
# the copy cost 180 MB of peak memory on a 10-minute recording, for 6 % more time in the text stage
# (bench/speed/long_memory.py), a small share of a clip's time.
PREPACK = False
TOKENS_PER_BATCH = 8192  # padded tokens per encoder call: 16 texts of 512 tokens, so long transcripts
#                          never make a batch whose attention takes gigabytes



class TextEncoder:
    """Frozen, eval-mode, no gradients. ``name`` is what heads record and are checked against."""

    def __init__(self, model: str, runtime: Runtime | None = None, pooling: str = "mean",
                 layers: Sequence[int] = (-1,), max_length: int = 512, batch_size: int = 32, name: str | None = None,
                 adapter: Adapter | None = None, **where):
        """``runtime``: where and how it runs (``plan("encoder", ...)``); or ``device``, ``backend`` and
        ``precision`` as keywords, planned here by the same rules. ``adapter``: fine-tuned adapters (a head's
        ``adapter``), merged into the weights as they load."""
        from transformers import AutoConfig, AutoModel, AutoTokenizer

        if pooling not in POOLINGS:
            raise ValueError(f"Unknown pooling {pooling!r}; expected one of {', '.join(POOLINGS)}")
        self.name = name or str(model)
        self.source = str(model)  # what was loaded: Hub id or folder
        self.runtime = runtime = runtime or plan("encoder", self.name, **where)
        self.device = torch.device(runtime.device)
        self.tokenizer = from_pretrained(AutoTokenizer, model)
        self.pooling, self.layers = pooling, tuple(layers)
        self.config = from_pretrained(AutoConfig, model)
        self.hidden_size = int(self.config.hidden_size)
        self.max_length = min(max_length, int(getattr(self.tokenizer, "model_max_length", max_length)))
        self.batch_size = batch_size
        self.adapter = adapter
        if adapter is not None:
            adapter.check_base(self.name, self.source)

        def load() -> Pooled:
            encoder = from_pretrained(AutoModel, model)
            if adapter is not None:
                encoder = adapter.merge(encoder)
            encoder = encoder.eval().to(self.device, runtime.torch_dtype)
            encoder.requires_grad_(False)
            if pooling == "pooler" and getattr(encoder, "pooler", None) is None:
                raise ValueError(f"{self.name} has no pooler; use 'mean' or 'cls' pooling")
            return Pooled(encoder, pooling, self.layers)

        if runtime.backend == "torch":
            self.pooled = load()
            self.model = self.pooled.model
            return
        self.model = None  # ONNX Runtime holds its own copy of the weights
        identity, loaded = onnx_runtime.weights_identity(self.source), None
        if identity is None or pooling == "pooler":  # a missing pooler must fail here, not after an export
            loaded = load()
            identity = identity or onnx_runtime.weights_sample(loaded)
        merged = [] if adapter is None else [adapter.digest]  # the merged weights get their own export
        key = onnx_runtime.cache_key("pooled", self.config.to_json_string(), identity, pooling, str(self.layers),
                                     *merged)
        # Padding in the example: a mask of all ones would let the model drop it from the traced graph.
        given = self.tokenizer(["a b c", "a"], padding=True, return_tensors="pt")
        example = {k: given[k] for k in ("input_ids", "attention_mask", "token_type_ids") if k in given}
        axes = {k: {0: "batch", 1: "tokens"} for k in example} | {"features": {0: "batch"}}
        self.pooled = onnx_runtime.OnnxModule(key, lambda: loaded or load(), example, ["features"], axes,
                                              runtime.precision,
                                              name=self.name, prepack=PREPACK)

    def encode(self, texts: Sequence[str], progress: str | None = None) -> torch.Tensor:
        """(len(texts), hidden_size) float32 features. Texts are tokenized once, sorted by length and batched
        by count and by padded tokens (``TOKENS_PER_BATCH``); ``progress`` names a progress bar."""
        from tqdm import tqdm

        out = torch.empty(len(texts), self.hidden_size)
        if not len(texts):
            return out
        tokens = self.tokenizer(list(texts), truncation=True, max_length=self.max_length)
        keys = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in tokens]
        lengths = [len(ids) for ids in tokens["input_ids"]]
        batches, batch = [], []
        for i in sorted(range(len(texts)), key=lengths.__getitem__):
            if batch and (len(batch) == self.batch_size or (len(batch) + 1) * lengths[i] > TOKENS_PER_BATCH):
                batches.append(batch)
                batch = []
            batch.append(i)
        batches.append(batch)
        queued = []  # read back at the end: on a GPU the next batch is padded while the last one runs
        for idx in tqdm(batches, desc=progress, unit="batch", disable=progress is None):
            padded = self.tokenizer.pad({k: [tokens[k][i] for i in idx] for k in keys}, return_tensors="pt")
            queued.append((idx, self._run(padded.to(self.device))))
        for idx, features in queued:
            out[idx] = features.float().cpu()
        return out

    @torch.inference_mode()
    def _run(self, batch) -> torch.Tensor:
        out = self.pooled(**batch)
        return out[0] if isinstance(out, list) else out


class Pooled(torch.nn.Module):
    """Encoder forward and pooling in one module, so that the ONNX graph holds both."""

    def __init__(self, model: torch.nn.Module, pooling: str, layers: Sequence[int]):
        super().__init__()
        self.model, self.pooling, self.layers = model, pooling, tuple(layers)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        want_layers = self.layers != (-1,)
        types = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
        out = self.model(input_ids=input_ids, attention_mask=attention_mask, **types,
                         output_hidden_states=want_layers)
        if self.pooling == "pooler":
            return out.pooler_output
        states = (torch.stack([out.hidden_states[i] for i in self.layers]).mean(0) if want_layers
                  else out.last_hidden_state)
        if states.dtype != torch.float32:  # bf16 / fp16 models: pool in fp32
            states = states.float()
        if self.pooling == "cls":
            return states[:, 0]
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        return (states * mask).sum(1) / mask.sum(1).clamp(min=1)


def short_name(name: str) -> str:
    """The part of a model id or path that identifies the model: 'google-bert/bert-base-uncased' and a
    local folder '/models/bert-base-uncased' are both 'bert-base-uncased'."""
    return Path(str(name).rstrip("/")).name
