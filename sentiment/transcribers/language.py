"""The language heard, for the person: the text model reads English only."""

from __future__ import annotations

from sentiment.transcribers.transcript import Transcript

NOT_ENGLISH = 0.5  # the transcriber's probability of another language above which the result warns


def language_warnings(transcript: Transcript) -> list[str]:
    """A warning when the speech is clearly not English: the transcript is Whisper's English rendering and
    the text model reads English, so the label means little."""
    language, p = transcript.language, transcript.language_probability or 0.0
    if language in (None, "en") or p < NOT_ENGLISH:
        return []
    from transformers.models.whisper.tokenization_whisper import LANGUAGES
    name = LANGUAGES.get(language, language).title()
    return [f"This sounds like {name}, not English ({p:.0%} sure): the transcript is an English rendering and "
            "the sentiment model reads English only, so the label is unreliable."]
