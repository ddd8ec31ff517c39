"""The language: Whisper base (multilingual, bundled, the offline default) tells which language it hears;
speech that is clearly not English gets a warning in the result, the CLI and the page, never a silent label. The
clips are spoken by espeak-ng here (synthetic); the English one is the repository's own example."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FRENCH = "Bonjour, je suis très content de vous voir aujourd'hui. Le temps est magnifique, allons au parc."


@pytest.fixture(scope="module")
def base(offline_pipe):
    assert offline_pipe.transcriber.name == "Systran/faster-whisper-base"  # the offline stack's default
    return offline_pipe.transcriber


@pytest.fixture(scope="module")
def french(tmp_path_factory) -> Path:
    if not shutil.which("espeak-ng"):
        pytest.skip("needs espeak-ng (apt-get install espeak-ng)")
    path = tmp_path_factory.mktemp("fr") / "bonjour.wav"
    subprocess.run(["espeak-ng", "-v", "fr", "-w", str(path), FRENCH], check=True)
    return path


@pytest.fixture
def pipe(offline_pipe):
    return offline_pipe


def test_another_language_is_detected_and_warned_about(pipe, french):
    result = pipe(str(french))
    assert result.language == "fr" and len(result.warnings) == 1 and "French" in result.warnings[0]
    assert result.to_dict()["warnings"] == result.warnings  # the API's dict carries it
    assert len(result.transcript.split()) < 60  # an English rendering, not a loop ("the one who is the one...")


def test_english_gets_no_warning(pipe):
    example = sorted((ROOT / "sentiment" / "examples").glob("*.flac"))[0]
    result = pipe(str(example))
    assert result.language == "en" and result.warnings == []


def test_a_clip_is_encoded_once_for_its_language_and_its_words(base):
    from sentiment.audio import load_audio

    wave = load_audio(str(sorted((ROOT / "sentiment" / "examples").glob("*.flac"))[0]))
    calls = []
    plain = base.model.encode.encode
    base.model.encode.encode = lambda features: calls.append(features.shape) or plain(features)
    base.model.encode.last = (None, None)  # nothing remembered from an earlier test
    try:
        once = base.transcribe([wave])[0]
        base.model.encode.last = (None, None)
        detected = base.language_of(wave)
    finally:
        base.model.encode.encode = plain
    assert len(calls) == 2  # one window each time: detection's encoding is reused by the transcription
    assert (once.language, once.language_probability) == detected and once.language == "en"


def test_the_english_only_model_detects_nothing(offline_pipe, french, monkeypatch):
    from sentiment.transcribers.whisper import WhisperTranscriber

    monkeypatch.setattr(offline_pipe, "transcriber", WhisperTranscriber("tiny.en"))
    result = offline_pipe(str(french))  # tiny.en cannot tell: no language, no warning
    assert result.language is None and result.warnings == []


def test_the_page_and_the_cli_show_the_warning(pipe, french, capsys):
    from sentiment.cli import _text
    from ui.page import handlers
    info = handlers(pipe)[0](str(french))[-2]  # the models line (the downloads come last)
    assert "⚠" in info and "French" in info
    row = {"path": "bonjour.wav", **pipe(str(french)).to_dict()}
    assert "warning: This sounds like French" in _text(row)
