"""Fuzzing ``load_audio`` (hypothesis): random bytes, truncated and mislabelled files. Every case ends as
valid 16 kHz audio or a typed AudioError with a message, never another exception and never a hang."""

import io

import numpy as np
import pytest
import soundfile as sf
from conftest import SR, tone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sentiment.audio import load_audio
from sentiment.errors import AudioError


def encoded(fmt: str, subtype: str | None = None, seconds: float = 1.0, rate: int = SR, channels: int = 1) -> bytes:
    wave = tone(seconds)
    if rate != SR:
        wave = wave[: int(seconds * rate)]
    data = np.stack([wave] * channels, axis=1) if channels > 1 else wave
    out = io.BytesIO()
    sf.write(out, data, rate, format=fmt, subtype=subtype)
    return out.getvalue()


VALID = {"wav": encoded("WAV", "PCM_16"), "wav-float": encoded("WAV", "FLOAT", rate=44_100, channels=2),
         "flac": encoded("FLAC"), "ogg": encoded("OGG", "VORBIS", rate=22_050)}
FUZZ = settings(max_examples=100, deadline=10_000, suppress_health_check=[HealthCheck.too_slow])


def check(source):
    try:
        wave = load_audio(source, max_seconds=30)
    except AudioError as err:
        assert str(err) and "Traceback" not in str(err)
        return "error"
    assert wave.dtype == np.float32 and wave.ndim == 1 and np.isfinite(wave).all()
    return "audio"


@FUZZ
@given(st.binary(min_size=0, max_size=4096))
def test_random_bytes(data):
    check(data)


@FUZZ
@given(st.sampled_from(sorted(VALID)), st.floats(0.0, 1.0))
def test_truncated_files(kind, keep):
    data = VALID[kind]
    check(data[: int(len(data) * keep)])


@FUZZ
@given(st.sampled_from(sorted(VALID)), st.integers(0, 10_000), st.binary(min_size=1, max_size=64))
@example(kind="wav-float", at=27, junk=b"\x01")  # the header says 16,793,216 Hz: resampling took 67 GB
def test_corrupted_bytes_inside_files(kind, at, junk):
    data = bytearray(VALID[kind])
    at = at % len(data)
    data[at:at + len(junk)] = junk
    check(bytes(data))


@pytest.mark.parametrize("kind", sorted(VALID))
@pytest.mark.parametrize("suffix", [".wav", ".mp3", ".flac", ".txt", ""])
def test_mislabelled_files(tmp_path, kind, suffix):
    path = tmp_path / f"clip{suffix}"
    path.write_bytes(VALID[kind])
    assert check(path) == "audio"  # the content decides, not the name
    garbage = tmp_path / f"junk{suffix}"
    garbage.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(range(256)) * 4)
    assert check(garbage) == "error"
