"""Every option of the CLI and of app.py, given a wrong value: one line that names the option (or the
value given), exit 2, no traceback, before anything heavy runs. An option added without a case here fails
``test_every_option_has_a_wrong_value_case``."""

import argparse

import pytest
import soundfile as sf
import torch
from conftest import SR, tone

import app
from sentiment.cli import _parser, main
from sentiment.errors import run_command
from sentiment.text.head import HeadInfo, SentimentHead, save_head
from ui.options import parser as app_parser

# option -> (wrong value, words the line must hold); {clip} and {notes} are filled in below.
WRONG = {
    "--output": ("x.docx", "x.docx"), "--format": ("docx", "--format docx"), "--engine": ("spark", "--engine"),
    "--address": ("ray://nowhere:10001", "--address is for --engine ray"),
    "--workers": ("0", "--workers"), "--gpus-per-worker": ("-1", "--gpus-per-worker"),
    "--batch-size": ("0", "--batch-size"), "--max-seconds": ("0", "--max-seconds"),
    "--speakers": ("maybe", "--speakers"), "--num-speakers": ("0", "--num-speakers"),
    "--speaker-names": ("A,,B", "empty name"), "--enroll": ("Agent", "--enroll takes NAME=FILE"),
    "--stack": ("nosuch", "--stack"), "--transcriber": ("nosuch", "--transcriber"),
    "--asr-model": ("/nonexistent/asr", "/nonexistent/asr"), "--encoder": ("/nonexistent/enc", "/nonexistent/enc"),
    "--head": ("/nonexistent/head.safetensors", "/nonexistent/head.safetensors"),
    "--device": ("tpu", "--device tpu"), "--backend": ("tensorrt", "--backend"),
    "--precision": ("int4", "--precision"),
    # app.py only
    "--host": ("nowhere.invalid", "--host"), "--port": ("70000", "--port"), "--concurrency": ("0", "--concurrency"),
}
FLAGS = {"--help", "--json", "--no-words", "--retry-errors", "--verbose", "--share"}  # no value to get wrong


def options(parser: argparse.ArgumentParser) -> set[str]:
    found = set()
    for action in parser._actions:  # argparse's own structure; read-only
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found |= options(sub)
        found |= {o for o in action.option_strings if o.startswith("--")}
    return found


def test_every_option_has_a_wrong_value_case():
    assert options(_parser()) | options(app_parser("")) == set(WRONG) | FLAGS


@pytest.fixture
def models(tiny_ctc, tiny_bert, tmp_path, monkeypatch):
    """Tiny models through the environment: a right value loads in a second, so that only the wrong one fails."""
    torch.manual_seed(0)
    head = save_head(SentimentHead(HeadInfo(encoder=str(tiny_bert), hidden_size=32)), tmp_path / "head.safetensors")
    for var, value in {"SENTIMENT_STACK": "offline", "SENTIMENT_TRANSCRIBER": "wav2vec2",
                       "SENTIMENT_ASR_MODEL": str(tiny_ctc), "SENTIMENT_ENCODER": str(tiny_bert),
                       "SENTIMENT_HEAD": str(head), "SENTIMENT_DEVICE": "cpu"}.items():
        monkeypatch.setenv(var, value)
    clip = tmp_path / "clip.wav"
    sf.write(clip, tone(1.0), SR)
    return clip


def wrong_args(option: str, clip) -> list[str]:
    value = WRONG[option][0]
    extra = {"--format": ["-o", str(clip.parent / "out") + "/"]}.get(option, [])
    return [option, value, *extra]


def check_one_line(status: int, err: str, option: str) -> None:
    assert status == 2, (option, err)
    assert "Traceback" not in err and err.count("\n") == 1, (option, err)
    assert WRONG[option][1] in err, (option, err)


@pytest.mark.parametrize("option", sorted(set(WRONG) - {"--host", "--port", "--concurrency"}))
def test_a_wrong_cli_value_is_one_line_and_exit_2(option, models, capsys):
    status = main(["predict", str(models), *wrong_args(option, models)])
    check_one_line(status, capsys.readouterr().err, option)


@pytest.mark.parametrize("option", sorted(set(WRONG) - {"--output", "--format", "--engine", "--address", "--workers",
                                                        "--gpus-per-worker", "--batch-size", "--enroll",
                                                        "--speaker-names"}))
def test_a_wrong_app_value_is_one_line_and_exit_2_and_no_server(option, models, capsys, monkeypatch):
    def launched(*args, **kwargs):
        raise AssertionError(f"the app started with {option} {WRONG[option][0]}")
    monkeypatch.setattr(app, "launch", launched)
    status = run_command(app.main, wrong_args(option, models))
    check_one_line(status, capsys.readouterr().err, option)


def test_the_app_passes_its_speaker_options_to_the_pipeline_the_live_tab_uses(models, monkeypatch):
    """--num-speakers reaches the pipeline that both tabs share (the Live tab's tracker reads
    ``pipe.num_speakers``: tests/test_speakers.py::test_live_speakers_honour_a_given_number)."""
    import sentiment
    loaded = {}
    monkeypatch.setattr(sentiment, "load_pipeline", lambda **kw: loaded.update(kw) or pytest.skip("no launch"))
    with pytest.raises(pytest.skip.Exception):
        app.main(["--num-speakers", "2", "--speakers", "auto"])
    assert loaded["speakers"].num_speakers == 2 and loaded["speakers"].speakers == "auto"
