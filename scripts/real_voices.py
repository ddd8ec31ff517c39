"""Real people's voices with references, for the speaker and transcription benchmarks and tests: nothing here
is synthesised. Fetched once from the package registries into ``.cache/real-voices`` (each archive checked
against its SHA-256 below), never committed:

- the call: ``pyannote.audio`` 4.0.7's sample (sdist from PyPI, MIT): a real 30 s telephone call between
  two people, Diane and Sheila, with who-speaks-when (``sample.rttm``) and who-said-what (``sample.stm``);
- meetings: the same sdist's test clips (``tests/data``): 14 pieces of 30 s of AMI meetings (AMI Meeting
  Corpus, CC BY 4.0; the speaker names are AMI's), 1 to 4 speakers each, with reference RTTM;
- Allison Smith's voice prompts (Debian's ``asterisk-core-sounds-en-wav``, CC BY-SA 3.0; 8 kHz telephone
  band), and ../shared's LibriVox reader (public domain), where present.

``conversations()`` assembles 2- to 4-voice conversations from stretches where one of these real people
speaks alone (the AMI speakers and the call's two people, cut at the reference turns; Allison's and the
reader's recordings whole): the real-voice counterpart of ``make_conversations.py``'s flite set.

    python scripts/real_voices.py            # fetch, then list what is there
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "real-voices"
SAMPLE_RATE = 16_000
PYANNOTE = ("pyannote.audio==4.0.7", "pyannote_audio-4.0.7.tar.gz",
            "3a903dfb5ca711d134cc2522561c9158b186836f5d62e8a57c46c6648e8a8229")
ALLISON = ("asterisk-core-sounds-en-wav=1.6.1-1", "asterisk-core-sounds-en-wav_1.6.1-1_all.deb",
           "2be3ea287d83299d143815fa804f11179a75b7affd4a758b98b55f5afc18a35d")
MIN_STRETCH = 1.0  # seconds of one person alone, at least, to be used in a conversation
LONGEST = 8.0  # seconds: a longer stretch is cut into equal pieces no longer (a turn, not a monologue)


@dataclass(frozen=True)
class Turn:
    start: float
    end: float
    speaker: str
    text: str = ""


@dataclass(frozen=True)
class Recording:
    name: str
    wave: np.ndarray  # 16 kHz mono float32
    turns: tuple[Turn, ...]  # the reference: who speaks when (and what, where known)

    @property
    def speakers(self) -> list[str]:
        return sorted({t.speaker for t in self.turns})

    @property
    def seconds(self) -> float:
        return self.wave.size / SAMPLE_RATE


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fetch(spec: tuple[str, str, str], command: list[str]) -> Path:
    """The archive ``spec`` = (what, file name, SHA-256), downloaded into the cache once and checked."""
    what, name, digest = spec
    path = CACHE / name
    if not path.is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
            done = subprocess.run(command + [what], cwd=tmp, capture_output=True, text=True)
            found = list(Path(tmp).rglob(name))
            if done.returncode or not found:
                raise FileNotFoundError(f"could not download {what}: {(done.stderr or done.stdout).strip()[-300:]}")
            shutil.move(found[0], path)
    if _sha256(path) != digest:
        raise FileNotFoundError(f"{path} is not the archive this benchmark was made with (SHA-256 differs)")
    return path


@cache
def pyannote_folder() -> Path:
    """The unpacked pyannote.audio sdist (the call and the AMI clips)."""
    folder = CACHE / "pyannote_audio-4.0.7"
    if not (folder / "tests" / "data" / "debug.test.rttm").is_file():
        archive = _fetch(PYANNOTE, [sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                                    "--no-binary", ":all:", "-d", "."])
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if "/sample/" in m.name or "/tests/data/" in m.name]
            tar.extractall(CACHE, members=members, filter="data")
    return folder


@cache
def allison_folder() -> Path:
    """Allison Smith's English prompts, unpacked from the Debian package."""
    folder = CACHE / "allison"
    if not folder.is_dir():
        archive = _fetch(ALLISON, ["apt-get", "download", "-q"])
        with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
            subprocess.run(["dpkg-deb", "-x", str(archive), tmp], check=True)
            shutil.move(next(Path(tmp).rglob("en_US_f_Allison")), folder)
    return folder


def _read(path: Path) -> np.ndarray:
    import torch
    import torchaudio.functional as F

    wave, rate = sf.read(path, dtype="float32", always_2d=True)
    wave = wave.mean(1)
    if rate != SAMPLE_RATE:
        wave = F.resample(torch.from_numpy(wave), rate, SAMPLE_RATE).numpy()
    return wave


def _rttm(path: Path) -> dict[str, list[Turn]]:
    out: dict[str, list[Turn]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        f = line.split()
        out.setdefault(f[1], []).append(Turn(float(f[3]), round(float(f[3]) + float(f[4]), 3), f[7]))
    return out


def call() -> Recording:
    """The real call, its turns from ``sample.rttm`` (speaker90 is Diane, speaker91 Sheila)."""
    folder = pyannote_folder() / "src" / "pyannote" / "audio" / "sample"
    names = {"speaker90": "Diane", "speaker91": "Sheila"}
    turns = [Turn(t.start, t.end, names[t.speaker]) for t in _rttm(folder / "sample.rttm")["sample"]]
    return Recording("call", _read(folder / "sample.wav"), tuple(turns))


def call_transcript() -> list[Turn]:
    """Who said what in the call (``sample.stm``)."""
    path = pyannote_folder() / "src" / "pyannote" / "audio" / "sample" / "sample.stm"
    rows = [line.split(maxsplit=5) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Turn(float(r[3]), float(r[4]), r[2], r[5]) for r in rows]


def call_text() -> str:
    """What was said in the call, in order: the reference a transcript of it is scored against."""
    return " ".join(t.text for t in call_transcript())


def meetings() -> list[Recording]:
    """The 14 AMI clips, each as recorded with its reference turns."""
    data = pyannote_folder() / "tests" / "data"
    turns: dict[str, list[Turn]] = {}
    for path in sorted(data.glob("debug.*.rttm")):
        turns.update(_rttm(path))
    files = {p.stem.replace("ñ", "n"): p for p in data.glob("*.wav")}  # trn00 is stored as "trñ00.wav"
    return [Recording(uri, _read(files[uri]), tuple(sorted(t, key=lambda x: x.start)))
            for uri, t in sorted(turns.items())]


def alone(recording: Recording, margin: float = 0.05) -> dict[str, list[np.ndarray]]:
    """Per speaker, the stretches (at least ``MIN_STRETCH`` s) in which they speak and nobody else does."""
    grid = np.zeros((len(recording.speakers), int(recording.seconds * 100) + 1), bool)  # 10 ms frames
    for t in recording.turns:
        grid[recording.speakers.index(t.speaker), int(t.start * 100):int(np.ceil(t.end * 100))] = True
    solo = grid & (grid.sum(0) == 1)
    out: dict[str, list[np.ndarray]] = {}
    for k, speaker in enumerate(recording.speakers):
        edges = np.flatnonzero(np.diff(np.r_[0, solo[k].astype(int), 0]))
        for a, b in zip(edges[::2] / 100 + margin, edges[1::2] / 100 - margin):
            if b - a >= MIN_STRETCH:
                n = int(np.ceil((b - a) / LONGEST))
                for i in range(n):
                    lo, hi = a + (b - a) * i / n, a + (b - a) * (i + 1) / n
                    out.setdefault(speaker, []).append(recording.wave[int(lo * SAMPLE_RATE):int(hi * SAMPLE_RATE)])
    return out


@cache
def voices(min_seconds: float = 9.0) -> dict[str, tuple[np.ndarray, ...]]:
    """Every real person with at least ``min_seconds`` of speech alone: name -> stretches."""
    found: dict[str, list[np.ndarray]] = {}
    for recording in [call(), *meetings()]:
        for speaker, stretches in alone(recording).items():
            found.setdefault(speaker, []).extend(stretches)
    with contextlib.suppress(FileNotFoundError, OSError, subprocess.CalledProcessError):  # no apt here: one voice fewer
        found["Allison"] = [_trim(_read(p)) for p in sorted(allison_folder().glob("*.wav"))[:60]]
    sys.path.insert(0, str(ROOT))
    from testkit import SHARED
    real = SHARED / "data" / "speech" / "real"
    if (real / "transcripts.csv").is_file():
        with open(real / "transcripts.csv", newline="") as f:
            found["reader"] = [_trim(_read(real / r["audio"])) for r in csv.DictReader(f)
                               if r["audio"].startswith("sense")]
    return {k: tuple(v) for k, v in sorted(found.items()) if sum(s.size for s in v) / SAMPLE_RATE >= min_seconds}


def _trim(wave: np.ndarray) -> np.ndarray:
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    found = get_speech_timestamps(wave, VadOptions(speech_pad_ms=50, min_silence_duration_ms=300))
    return wave[found[0]["start"]:found[-1]["end"]] if found else wave


def conversation(seed: int, speakers: int, seconds: float, pool: dict | None = None) -> Recording:
    """``speakers`` real voices (of ``pool``, default ``voices()``) taking turns of one to three stretches until
    ``seconds``: pauses of 0.3-1.0 s between turns, 0.15-0.4 s inside one; each voice at its own level (±3 dB).
    A voice's stretches are used in a shuffled order, again from the start when all are used."""
    rng = np.random.default_rng(seed)
    pool = pool or voices()
    chosen = [str(v) for v in rng.choice(sorted(pool), size=speakers, replace=False)]
    orders = {v: [] for v in chosen}
    gains = {v: 10 ** (rng.uniform(-3, 3) / 20) for v in chosen}
    placed, cursor, previous = [], 0.0, None
    while cursor < seconds or len({p[1] for p in placed}) < speakers:
        voice = str(rng.choice([v for v in chosen if v != previous]))
        for i in range(int(rng.integers(1, 4))):
            if not orders[voice]:
                orders[voice] = list(rng.permutation(len(pool[voice])))
            wave = pool[voice][orders[voice].pop()]
            cursor += rng.uniform(0.15, 0.4) if i else (rng.uniform(0.3, 1.0) if previous else 0.5)
            placed.append((round(cursor, 3), voice,
                           wave * gains[voice] * 0.1 / max(float(np.sqrt(np.mean(wave ** 2))), 1e-4)))
            cursor += wave.size / SAMPLE_RATE
        previous = voice
    out = np.zeros(int((cursor + 0.5) * SAMPLE_RATE), np.float32)
    for start, _, wave in placed:
        at = int(round(start * SAMPLE_RATE))
        out[at:at + wave.size] += wave
    turns = tuple(Turn(s, round(s + w.size / SAMPLE_RATE, 3), v) for s, v, w in placed)
    return Recording(f"real-{seed}", np.clip(out, -1, 1), turns)


def enrolment(seed: int, speakers: int, seconds: float, sample_seconds: float = 10.0):
    """(a conversation as ``conversation`` makes, {voice: sample}): each voice of the conversation has a
    ``sample_seconds`` sample of its own stretches that the conversation does not use (voices with under
    ``sample_seconds`` + 9 s alone are left out)."""
    rng = np.random.default_rng(seed + 10_000)
    pool, samples = {}, {}
    for voice, stretches in voices().items():
        if sum(s.size for s in stretches) / SAMPLE_RATE < sample_seconds + 9:
            continue
        order, taken = list(rng.permutation(len(stretches))), []
        while sum(s.size for s in taken) < sample_seconds * SAMPLE_RATE:
            taken.append(stretches[order.pop()])
        gap = np.zeros(int(0.3 * SAMPLE_RATE), np.float32)
        samples[voice] = np.concatenate([x for s in taken for x in (s, gap)])[:int(sample_seconds * SAMPLE_RATE)]
        pool[voice] = tuple(stretches[i] for i in order)
    recording = conversation(seed, speakers, seconds, pool)
    return recording, {v: samples[v] for v in recording.speakers}


def plan(count: int = 12, seed: int = 0) -> list[dict]:
    """The real set: 2, 3 and 4 voices in turn, 1 to 2 minutes each."""
    rng = np.random.default_rng(seed)
    return [dict(seed=seed * 1000 + i, speakers=2 + i % 3, seconds=float(rng.uniform(60, 120))) for i in range(count)]


def main() -> int:
    try:
        people = voices()
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{CACHE}\nthe call: {call().seconds:.0f} s; meetings: {len(meetings())} clips")
    for name, stretches in people.items():
        print(f"  {name}: {len(stretches)} stretches, {sum(s.size for s in stretches) / SAMPLE_RATE:.0f} s alone")
    return 0


if __name__ == "__main__":
    sys.exit(main())
