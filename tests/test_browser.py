"""A real browser (Debian's chromium, driven by Playwright): upload, analyse, see the result and a long
recording's timeline; every evaluation plot renders; a real recording played as the microphone through
the Live tab. Screenshots go to test-artifacts/."""

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
import torchaudio.functional as AF
from conftest import ROOT, SR, shared_path

import app
import ui.live
from sentiment.audio import load_audio
from sentiment.labels import LABELS
from sentiment.text.normalize import normalize_text

pytestmark = pytest.mark.slow  # a real browser: minutes

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts"
# "0.5- 2.0 s S1 Positive (0.80) "
UTTERANCE_LINE = re.compile(r"^[\d.\s-]+s\s+(?:S\d+\s+)?(Negative|Neutral|Positive)\s+\([\d.]+\)\s*")


NAMES = ("0870", "0890", "0920")  # three LibriVox sentences from ../shared/data/speech/real
TEXTS = ("and mister john dashwood had then leisure to consider how much there might be prudently in his power "
         "to do for them", "unless to be rather cold hearted and rather selfish is to be ill disposed",
         "had he married a more a amiable woman he might have been made still more respectable than he was")


def recordings(tmp_path, rate: int = SR):
    """The three recordings with 1.5 s of silence after each, as a 16-bit WAV at ``rate``."""
    folder = shared_path("data", "speech", "real")
    clips = [load_audio(folder / f"sense_and_sensibility_01_austen_64kb-{n}.wav") for n in NAMES]
    wave = np.concatenate([x for c in clips for x in (c, np.zeros(int(1.5 * SR), np.float32))])
    if rate != SR:
        wave = AF.resample(torch.from_numpy(wave), SR, rate).numpy()
    path = tmp_path / f"speech-{rate}.wav"
    sf.write(path, wave, rate, subtype="PCM_16")
    return path


@pytest.fixture(scope="module")
def server(offline_pipe):
    pytest.importorskip("playwright.sync_api")
    if not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium, or make test as root)")
    demo = app.build_app(offline_pipe)
    _, url, _ = app.launch(demo, port=None, prevent_thread_lock=True, quiet=True)
    yield url
    demo.close()


@pytest.fixture(scope="module")
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:  # one per thread: every browser of this module comes from it
        yield p


def browser_page(playwright, url, *extra_flags):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS + list(extra_flags))
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(url)
    return browser, page


@pytest.fixture(scope="module")
def page(server, playwright):
    browser, page = browser_page(playwright, server)
    yield page
    browser.close()


def test_upload_analyse_and_see_the_result(page):
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#speech input[type=file]").set_input_files(str(ROOT / "sentiment" / "examples" / "positive.flac"))
    page.locator("#analyse").click()
    page.wait_for_function("document.querySelector('#transcript textarea').value.length > 0", timeout=120_000)
    transcript = page.locator("#transcript textarea").input_value()
    assert "battery lasts all day" in transcript
    page.wait_for_function(
        "['Negative','Neutral','Positive'].some(l => document.querySelector('#sentiment').innerText.includes(l))")
    shown = page.locator("#sentiment").inner_text()
    lines = [line.strip() for line in shown.splitlines() if line.strip()]
    assert lines[:2] == ["Sentiment", "Positive"], lines  # the component's title, then the top label
    assert all(label in lines for label in LABELS)
    assert "offline" in page.inner_text("body")
    page.screenshot(path=str(ARTIFACTS / "analyse.png"), full_page=True)


def test_evaluation_tab_images_render(page):
    page.get_by_role("tab", name="Evaluation").click()
    page.wait_for_function(
        "[...document.querySelectorAll('#evaluation img')].length >= 5 && "
        "[...document.querySelectorAll('#evaluation img')].every(i => i.complete && i.naturalWidth > 0)",
        timeout=60_000)
    widths = page.eval_on_selector_all("#evaluation img", "imgs => imgs.map(i => i.naturalWidth)")
    assert len(widths) >= 5 and all(w > 100 for w in widths)  # loss, two confusion matrices, reliability, transfer
    assert "macro-F1" in page.inner_text("#evaluation") and "calibration error" in page.inner_text("#evaluation")
    page.screenshot(path=str(ARTIFACTS / "evaluation.png"), full_page=True)


def test_a_long_recording_shows_its_timeline_and_summary(page, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    page.reload()  # an empty upload box again
    page.locator("#speech input[type=file]").set_input_files(str(recordings(tmp_path)))
    page.locator("#analyse").click()
    page.wait_for_selector("#timeline img, #timeline canvas, #timeline svg", timeout=120_000)
    summary = page.locator("#summary").inner_text()
    assert "Speaking time" in summary and "Segments" in summary
    page.locator("#timeline").screenshot(path=str(ARTIFACTS / "timeline.png"))
    page.screenshot(path=str(ARTIFACTS / "analyse-long.png"), full_page=True)


def test_two_speakers_show_two_lanes_and_two_summary_rows(page, tmp_path):
    from scripts.make_conversations import conversation
    shared_path("data", "speech", "tts")
    wave, _ = conversation(seed=13, seconds=40.0, voices=("slt", "rms"), labels={"slt": "Negative", "rms": "Positive"})
    sf.write(tmp_path / "two.wav", wave, SR, subtype="PCM_16")
    page.reload()
    page.locator("#speech input[type=file]").set_input_files(str(tmp_path / "two.wav"))
    page.locator("#analyse").click()
    page.wait_for_selector("#timeline img", timeout=180_000)
    rows = page.locator("#summary table tbody tr").all_inner_texts()
    assert [r.split()[0] for r in rows] == ["S1", "S2"], rows  # a row per speaker
    size = page.eval_on_selector("#timeline img", "i => [i.naturalWidth, i.naturalHeight]")
    assert size[1] / size[0] > 0.4, size  # two lanes: taller than one lane's 9 x 3 inches
    table = page.locator("#segments").inner_text()
    assert "speaker" in table and "S1" in table and "S2" in table
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#timeline").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "speakers.png"), full_page=True)


def test_live_microphone_transcribes_and_labels(server, playwright, tmp_path, monkeypatch):
    ARTIFACTS.mkdir(exist_ok=True)
    wav = recordings(tmp_path, rate=48_000)
    received, read_chunk = [], ui.live.read_chunk
    monkeypatch.setattr(ui.live, "read_chunk", lambda path: received.append(path) or read_chunk(path))
    browser, page = browser_page(playwright, server, "--use-fake-ui-for-media-stream",
                                 "--use-fake-device-for-media-stream",
                                 f"--use-file-for-fake-audio-capture={wav}%noloop")
    try:
        page.get_by_role("tab", name="Live").click()
        page.locator("#live-mic .record-button").click()
        # A running label while the microphone is still on (the first utterance closes at its pause) ...
        page.wait_for_function("['Negative','Neutral','Positive'].some(l => "
                               "document.querySelector('#live-sentiment').innerText.includes(l))", timeout=90_000)
        # ... then stop once the app has received the whole recording. Waiting on a word instead timed out on
        # a slower machine where Whisper heard that word differently.
        seconds = sf.info(wav).duration
        page.wait_for_function("(m => m && parseFloat(m[1]) >= %.1f)(document.querySelector('#live-status')"
                               ".innerText.match(/([\\d.]+) s heard/))" % (seconds - 1.0),
                               timeout=int(seconds + 90) * 1000)
        page.locator("#live-mic .stop-button").click()
        page.wait_for_function("document.querySelector('#live-status').innerText.includes('Stopped')",
                               timeout=30_000)
        shown = page.locator("#live-transcript").inner_text()
        # What this test promises is the wiring: the microphone's speech reaches the app, and the page shows
        # labelled utterances of its words. How well the live path transcribes is test_live.py's (no browser).
        # Here Chromium captures in real time on the same 2 cores as the server, and on a loaded machine
        # stretches of the stream were lost before the app saw them (docs/testing.md), so the words are
        # checked loosely: over half of the read text's words are on the page.
        heard = set(normalize_text(" ".join(UTTERANCE_LINE.sub("",
                                                               line.strip()) for line in shown.splitlines())).split())
        said = set(normalize_text(" ".join(TEXTS)).split())
        assert len(heard & said) >= 0.5 * len(said), shown
        assert sum(shown.count(label) for label in LABELS) >= 2, shown  # utterances, each labelled
        lines = [x.strip() for x in page.locator("#live-sentiment").inner_text().splitlines() if x.strip()]
        assert lines[1] in LABELS and all(label in lines for label in LABELS), lines
        page.wait_for_selector("#live-timeline img, #live-timeline canvas, #live-timeline svg", timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "live.png"), full_page=True)
        # Gradio hands each chunk over as a file in its cache; every one the app received is gone from disk.
        assert len(received) > 20 and not [p for p in received if Path(p).exists()]
    finally:
        browser.close()
