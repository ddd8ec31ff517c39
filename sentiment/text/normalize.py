"""Text normalisation shared by training and inference.

ASR output has no case and no punctuation (wav2vec2 emits upper-case letters and apostrophes,
PocketSphinx lower-case words), so the head is trained on text that looks the same: what the
encoder sees at training time must look like what a transcriber produces at inference time.
"""

import re
import unicodedata

NORMALIZATION = "asr-v1"  # stored in head metadata; bump when the rules below change

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_DROP = re.compile(r"[^a-z0-9' ]+")
_LONE_APOSTROPHE = re.compile(r"(?<![a-z0-9])'|'(?![a-z0-9])")
_SPACES = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Lower-case, keep letters, digits and in-word apostrophes, turn everything else into spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.lower().translate(_APOSTROPHES)
    text = _DROP.sub(" ", text)
    text = _LONE_APOSTROPHE.sub(" ", text)
    return _SPACES.sub(" ", text).strip()
