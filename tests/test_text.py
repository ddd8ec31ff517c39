"""One normalisation for training and inference: text that looks like ASR output."""

import pytest

from sentiment.text.normalize import normalize_text


@pytest.mark.parametrize("raw,expected", [
    ("Hello, World!", "hello world"),
    ("I DON'T like it...", "i don't like it"),
    ("I don\u2019t know", "i don't know"),
    ("'quoted' text", "quoted text"),
    ("Café — déjà vu", "cafe deja vu"),
    ("great colors,pictures and white-balance.", "great colors pictures and white balance"),
    ("  spaced\tout\n", "spaced out"),
    ("!!!", ""),
])
def test_normalize(raw, expected):
    assert normalize_text(raw) == expected


def test_asr_outputs_are_fixed_points():
    for asr in ("HELLO WORLD IT'S GREAT", "go forward ten meters"):
        assert normalize_text(asr) == normalize_text(normalize_text(asr)) == asr.lower()
