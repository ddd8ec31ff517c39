"""A real browser (Debian's chromium, driven by Playwright): upload, analyse, see the result; every
evaluation plot renders. Screenshots of both tabs go to test-artifacts/."""

import shutil

import pytest
from conftest import ROOT

import app
from sentiment.labels import LABELS
from sentiment.pipeline import load_pipeline

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def page():
    playwright = pytest.importorskip("playwright.sync_api")
    if not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    demo = app.build_app(load_pipeline("offline", device="cpu"))
    _, url, _ = app.launch(demo, port=None, prevent_thread_lock=True, quiet=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(url)
        yield page
        browser.close()
    demo.close()


def test_upload_analyse_and_see_the_result(page):
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#speech input[type=file]").set_input_files(str(ROOT / "assets" / "examples" / "positive.flac"))
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
        "[...document.querySelectorAll('#evaluation img')].length >= 3 && "
        "[...document.querySelectorAll('#evaluation img')].every(i => i.complete && i.naturalWidth > 0)",
        timeout=60_000)
    widths = page.eval_on_selector_all("#evaluation img", "imgs => imgs.map(i => i.naturalWidth)")
    assert len(widths) >= 3 and all(w > 100 for w in widths)
    assert "macro-F1" in page.inner_text("#evaluation")
    page.screenshot(path=str(ARTIFACTS / "evaluation.png"), full_page=True)
