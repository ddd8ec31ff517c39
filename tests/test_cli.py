"""python -m sentiment predict / info, on tiny models."""

import csv
import json
import subprocess
import sys

import pytest
import soundfile as sf
import torch
from conftest import ROOT, SR, tone

from sentiment.result import FIELDS, FLAT_FIELDS
from sentiment.cli import main
from sentiment.text.head import HeadInfo, SentimentHead, save_head
from sentiment.labels import LABELS


@pytest.fixture
def models(tiny_ctc, tiny_bert, tmp_path, monkeypatch):
    torch.manual_seed(0)
    head = save_head(SentimentHead(HeadInfo(encoder=str(tiny_bert), hidden_size=32, metrics={"test": 1})),
                     tmp_path / "head.safetensors")
    for var, value in {"SENTIMENT_STACK": "offline", "SENTIMENT_TRANSCRIBER": "wav2vec2",
                       "SENTIMENT_ASR_MODEL": str(tiny_ctc), "SENTIMENT_ENCODER": str(tiny_bert),
                       "SENTIMENT_HEAD": str(head), "SENTIMENT_DEVICE": "cpu"}.items():
        monkeypatch.setenv(var, value)


@pytest.fixture
def clips(tmp_path):
    folder = tmp_path / "clips"
    folder.mkdir()
    for i, seconds in enumerate((1.0, 1.5, 2.0)):
        sf.write(folder / f"c{i}.wav", tone(seconds, 200 + 100 * i), SR)
    (folder / "bad.wav").write_text("not audio")
    return folder


def test_json_lines_for_files(models, clips, capsys):
    code = main(["predict", "--json", str(clips / "c0.wav"), str(clips / "c1.wav")])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0 and [r["path"] for r in rows] == [str(clips / "c0.wav"), str(clips / "c1.wav")]
    for r in rows:  # the API's fields, under the same names (sentiment/result.py)
        assert list(r) == ["path", *FIELDS] and r["label"] in LABELS
        assert list(r["confidences"]) == list(LABELS) and sum(r["confidences"].values()) == pytest.approx(1, abs=1e-5)
        assert r["models"]["stack"] and r["summary"]["counts"][r["label"]] >= 1 and "transcribe" in r["timings"]


def test_folder_batch_writes_csv_and_reports_bad_files(models, clips, tmp_path, capsys):
    out = tmp_path / "out" / "results.csv"
    code = main(["predict", str(clips), "-o", str(out), "--batch-size", "2"])
    assert code == 1  # one file failed
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["path"].rsplit("/", 1)[1] for r in rows] == ["bad.wav", "c0.wav", "c1.wav", "c2.wav"]
    assert list(rows[0]) == FLAT_FIELDS and "not audio" in rows[0]["error"] and rows[0]["label"] == ""
    assert all(r["label"] in LABELS and not r["error"] for r in rows[1:])
    assert "ERROR" in capsys.readouterr().out


def test_manifest_and_jsonl(models, clips, tmp_path):
    manifest = clips / "list.csv"
    manifest.write_text("audio,text\nc2.wav,hello\nc0.wav,bye\n")
    out = tmp_path / "r.jsonl"
    assert main(["predict", str(manifest), "-o", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["path"] for r in rows] == [str(clips / "c2.wav"), str(clips / "c0.wav")]
    bad = clips / "nolist.csv"
    bad.write_text("file\nc0.wav\n")
    assert main(["predict", str(bad)]) == 2


def test_info_prints_the_stack_and_head(models, capsys):
    assert main(["info"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["config"]["stack"] == "offline" and info["config"]["transcriber"] == "wav2vec2"
    assert info["labels"] == list(LABELS) and info["metrics"] == {"test": 1}
    whisper = info["bundled_transcribers"]  # both bundled Whisper models, with their measured figures
    assert {w["asr_model"] for w in whisper.values()} == {"tiny.en", "base"}
    assert [w["default"] for w in whisper.values()].count(True) == 1
    assert all(0 < w["wer_real_call"] < 1 and w["pipeline_rtf"] > 0 for w in whisper.values())


def test_help_explains_every_option():
    out = subprocess.run([sys.executable, "-m", "sentiment", "predict", "--help"], capture_output=True,
                         text=True, cwd=ROOT).stdout
    for option in ("--json", "--output", "--stack", "--asr-model", "--encoder", "--head", "--device",
                   "SENTIMENT_STACK", "manifest", "--speakers", "--num-speakers"):
        assert option in out


def test_expected_failures_print_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    import app
    from sentiment import stacks
    from sentiment.errors import run_command
    from training import run as training_run

    monkeypatch.setattr(stacks, "HEADS_DIR", tmp_path)  # no head for any stack
    monkeypatch.delenv("SENTIMENT_HEAD", raising=False)
    assert run_command(app.main, ["--stack", "slue"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: No trained head for the slue stack") and err.count("\n") == 1
    assert run_command(app.main, ["--stack", "slue", "--verbose"]) == 2
    assert "Traceback" in capsys.readouterr().err  # only when asked for
    missing = tmp_path / "no-such.csv"
    assert run_command(training_run.main, ["--stack", "offline", "--data", str(missing), "--skip-pipeline",
                                           "--assets", str(tmp_path), "--heads-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: No manifest at") and "Traceback" not in err


def test_usage_names_the_command_as_it_was_called():
    from sentiment.cli import program_name

    assert program_name("/home/me/.venv/bin/sentiment") == "sentiment"
    assert program_name(str(ROOT / "sentiment" / "__main__.py")) == "python -m sentiment"
    out = subprocess.run([sys.executable, "-m", "sentiment", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and out.stdout.startswith("usage: python -m sentiment ")


@pytest.mark.slow  # two processes that load models
def test_library_progress_bars_only_with_verbose(models, clips):
    """transformers draws "Loading weights" bars when a model loads; an ordinary run prints results only.
    (PyTorch backend: with ONNX Runtime a warm export loads no torch weights, and so draws no bar anyway.)"""
    def run(*extra):
        return subprocess.run([sys.executable, "-m", "sentiment", "predict", str(clips / "c0.wav"), "--backend",
                               "torch", *extra], capture_output=True, text=True, cwd=ROOT)
    quiet, verbose = run(), run("-v")
    assert quiet.returncode == verbose.returncode == 0
    assert "Loading weights" in verbose.stderr  # the library's bar, shown when asked for
    assert "Loading weights" not in quiet.stderr and "%|" not in quiet.stderr, quiet.stderr


def test_speaker_options_that_contradict_or_make_no_sense_are_refused(models, clips, capsys):
    assert main(["predict", str(clips / "c0.wav"), "--speakers", "off", "--num-speakers", "2"]) == 2
    assert capsys.readouterr().err.strip() == "error: --num-speakers needs diarization: leave out --speakers off"
    assert main(["predict", str(clips / "c0.wav"), "--num-speakers", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err
    (clips / "notes.wav").write_text("not audio")
    for args, words in ((["--enroll", "Agent"], "--enroll takes NAME=FILE"),
                        (["--enroll", f"Agent={clips / 'notes.wav'}"], "The voice sample for Agent: Could not read"),
                        (["--enroll", f"Agent={clips / 'gone.wav'}"], "The voice sample for Agent: No such"),
                        (["--speaker-names", "A,,B"], "empty name"),
                        (["--speakers", "off", "--speaker-names", "A"], "Naming speakers needs diarization")):
        assert main(["predict", str(clips / "c0.wav"), *args]) == 2, args
        err = capsys.readouterr().err
        assert words in err and err.count("\n") == 1, err
    assert main(["predict", str(clips / "c0.wav"), "--speaker-names", "A", "--json"]) == 1  # a 2 s clip: no speakers
    out = json.loads(capsys.readouterr().out)
    assert "no speakers to name" in out["error"]


def test_one_recording_as_subtitles_and_turns_and_the_outputs_it_refuses(models, clips, tmp_path, capsys):
    import srt

    out = tmp_path / "subs" / "c2.srt"
    assert main(["predict", str(clips / "c2.wav"), "-o", str(out)]) == 0
    [cue] = list(srt.parse(out.read_text()))  # a short clip: one segment, one cue, its label in front
    assert cue.content.startswith("(") and cue.content.split(")", 1)[0][1:] in LABELS
    assert cue.start.total_seconds() == 0 and cue.end.total_seconds() == pytest.approx(2.0, abs=0.01)
    assert f"wrote {out}" in capsys.readouterr().err
    for args, message in (([str(clips / "c0.wav"), str(clips / "c1.wav"), "-o", str(tmp_path / "x.vtt")],
                           "writes one recording's vtt: give one input, not 2"),
                          ([str(clips / "c0.wav"), "-o", str(tmp_path / "x.docx")],
                           "Output x.docx: use a .csv, .jsonl, .parquet file for results, .json, .srt, .vtt, .rttm, "
                           ".html for one recording")):
        assert main(["predict", *args]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1 and not (tmp_path / "x.vtt").exists()


def test_a_batch_into_a_folder_gives_each_input_its_files_and_report_wants_html(models, clips, tmp_path, capsys):
    import srt

    out = tmp_path / "each"
    inputs = [str(clips / "c0.wav"), str(clips / "c1.wav"), str(clips / "bad.wav")]
    assert main(["predict", *inputs, "-o", f"{out}/", "--format", "srt,html"]) == 1  # bad.wav: its error row
    assert sorted(p.name for p in out.iterdir()) == ["c0.html", "c0.srt", "c1.html", "c1.srt"]
    assert len(list(srt.parse((out / "c1.srt").read_text()))) == 1 and "<svg" not in (out / "c1.html").read_text()
    assert "wrote 4 files to" in capsys.readouterr().err
    assert main(["predict", *inputs, "-o", f"{out}/", "--format", "srt,docx"]) == 2
    assert "choose from json, srt, vtt, rttm, html" in capsys.readouterr().err
    assert main(["report", inputs[0], "-o", str(tmp_path / "r.pdf")]) == 2
    assert "A report is an .html page, not r.pdf" in capsys.readouterr().err
    assert main(["report", inputs[0], "-o", str(tmp_path / "r.html")]) == 0
    assert "c0.wav" in (tmp_path / "r.html").read_text()
