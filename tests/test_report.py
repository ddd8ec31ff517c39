"""The report to share (sentiment/report.py) and the files people take away (sentiment/exports.py): the real
telephone call through the offline stack, its report opened in Chromium with no network, and the Analyse tab's
downloads beside the CLI's files."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
import soundfile as sf
from conftest import ROOT

from scripts import real_voices
from sentiment import exports, report
from sentiment.labels import LABELS
from sentiment.result import Prediction, Segment, to_row
from sentiment.summary import per_speaker, summarize

HEAD = str(ROOT / "sentiment" / "heads" / "offline.safetensors")


def made_row(text: str = "All fine.") -> dict:
    """A two-speaker result made here, not by a model."""
    conf = {"Negative": 0.1, "Neutral": 0.2, "Positive": 0.7}
    segments = [Segment(0.0, 2.0, text, "Positive", conf, "Agent"), Segment(2.5, 4.0, "No.", "Negative",
                {"Negative": 0.8, "Neutral": 0.1, "Positive": 0.1}, "S2")]
    result = Prediction(f"{text} No.", "Positive", conf, segments, summarize(segments), per_speaker(segments, 4.0),
                        duration=4.0, models={"stack": "offline"})
    return to_row("calls/a call.wav", result)


def test_a_transcript_is_text_in_the_report_never_markup():
    page = report.render(made_row('<script>alert("hi")</script> & <b>bold</b>'))
    assert "<script>" not in page and "&lt;script&gt;" in page and "<b>bold" not in page
    assert page.count("<svg") == 1 and "http" not in page.split("<svg")[0]  # nothing fetched: no links before
    assert "Agent" in page and "S2" in page and "a call.wav" in page


def test_figures_come_from_the_heads_metadata_and_the_transcribers_measurements():
    rows = report.figures({"text_test": {"macro_f1": 0.7818, "accuracy": 0.79}, "data": "x.csv"},
                          {"wer_real_call": 0.111})
    assert rows == [("text model, macro-F1 on its test set", "0.782"), ("text model, accuracy on its test set",
                     "0.790"), ("transcriber, WER on a real telephone call", "0.111")]


def test_one_recordings_files_by_suffix_and_the_suffixes_refused(tmp_path):
    row = made_row()
    for suffix in exports.DOWNLOADS:
        assert exports.write(row, tmp_path / f"a{suffix}").stat().st_size > 0
    assert json.loads((tmp_path / "a.json").read_text()) == row
    with open(tmp_path / "a.csv", newline="") as f:
        [cells] = list(csv.DictReader(f))
    assert float(cells["confidences.Positive"]) == 0.7
    with pytest.raises(ValueError, match="Output a.docx: use a .csv, .jsonl, .parquet file for results"):
        exports.check_output(tmp_path / "a.docx")
    with pytest.raises(ValueError, match="--format srt,doc: choose from json, srt, vtt, rttm, html"):
        exports.check_formats(["srt", "doc"])
    with pytest.raises(ValueError, match="No result to write to a.srt: not audio"):
        exports.write({"path": "x", "error": "not audio"}, tmp_path / "a.srt")
    written = exports.write_each([row, row, {"path": "b.wav", "error": "bad"}], tmp_path / "each", [".srt", ".vtt"])
    assert sorted(p.name for p in written) == ["a call-2.srt", "a call-2.vtt", "a call.srt", "a call.vtt"]


@pytest.fixture(scope="module")
def call_file(real_call, tmp_path_factory):
    path = tmp_path_factory.mktemp("call") / "call.wav"
    sf.write(path, real_call.wave, real_voices.SAMPLE_RATE)
    return path


@pytest.mark.slow
def test_the_report_of_the_real_call_opens_with_no_network(offline_pipe, call_file, tmp_path):
    pytest.importorskip("playwright.sync_api")
    if not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    from test_browser import ARTIFACTS, CHROMIUM, FLAGS
    row = to_row(str(call_file), offline_pipe(str(call_file)))
    page_file = report.write(row, tmp_path / "call.html", report.figures(offline_pipe.head.info.metrics))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(offline=True, viewport={"width": 1100, "height": 900})
        page = context.new_page()
        asked = []
        page.on("request", lambda r: asked.append(r.url))
        page.goto(page_file.as_uri())
        box = page.locator("#timeline + svg").bounding_box()
        speakers = page.locator("h2#speakers + table tr").count() - 1
        lines = page.locator("h2#transcript + table tr").count() - 1
        text = page.inner_text("body")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        browser.close()
    assert asked == [page_file.as_uri()]  # the page alone: nothing else asked for
    assert box and box["width"] > 500 and box["height"] > 200  # the timeline, a lane per speaker
    assert speakers == len(row["speakers"]) == 2 and lines == len(row["segments"]) > 5
    assert "This is Diane in New Jersey." in text and "macro-F1" in text
    assert all(label in text for label in LABELS)


@pytest.mark.slow
def test_the_analyse_tabs_downloads_are_the_files_the_cli_writes(offline_pipe, call_file, tmp_path, monkeypatch):
    from sentiment.cli import main
    from ui.page import handlers

    *_, files = handlers(offline_pipe)[0](str(call_file))
    tab = {p.rsplit(".", 1)[1]: p for p in files["value"]}
    assert sorted(tab) == ["csv", "html", "json", "srt", "vtt"]
    monkeypatch.chdir(tmp_path)
    models = ["--stack", "offline", "--head", HEAD, "--device", "cpu"]
    assert main(["predict", str(call_file), "-o", "cli/", "--format", "json,srt,vtt", *models]) == 0
    assert main(["predict", str(call_file), "-o", "cli.csv", *models]) == 0  # a folder has no CSV
    assert main(["report", str(call_file), "-o", "cli.html", *models]) == 0
    mine = {k: (tmp_path / (f"cli.{k}" if k in ("csv", "html") else f"cli/{call_file.stem}.{k}")).read_text()
            for k in tab}
    theirs = {k: Path(p).read_text() for k, p in tab.items()}
    assert mine["srt"] == theirs["srt"] and mine["vtt"] == theirs["vtt"] and mine["html"] == theirs["html"]
    a, b = json.loads(mine["json"]), json.loads(theirs["json"])
    for row in (a, b):
        row.pop("timings"), row.pop("path")  # seconds measured anew; the CLI's path as given, the tab's file name
    assert a == b
    assert [r["segments"] for r in csv.DictReader(io.StringIO(mine["csv"]))] == \
        [r["segments"] for r in csv.DictReader(io.StringIO(theirs["csv"]))]
