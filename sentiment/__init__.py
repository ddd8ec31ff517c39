"""Speech sentiment: English speech in, transcript and Negative / Neutral / Positive out.

    import sentiment
    pipe = sentiment.load_pipeline()          # the active stack, loaded once
    result = pipe("clip.wav")                 # Prediction: transcript, label, confidences, segments
"""

from sentiment.audio import SAMPLE_RATE, load_audio
from sentiment.errors import (AudioError, EmptyAudioError, EncoderMismatchError, ModelError, ModelUnavailableError,
                     NoSpeechError, NonFiniteAudioError, SentimentError, TooLongError, TooShortError,
                     UnreadableAudioError)
from sentiment.labels import LABELS
from sentiment.live import LiveSession
from sentiment.pipeline import Prediction, Segment, SentimentPipeline, load_pipeline
from sentiment.stacks import StackConfig, resolve_stack
from sentiment.summary import Summary, summarize
from sentiment.text.normalize import normalize_text

__all__ = [
    "SAMPLE_RATE", "LABELS", "load_audio", "load_pipeline", "normalize_text", "resolve_stack",
    "Prediction", "Segment", "SentimentPipeline", "StackConfig", "LiveSession", "Summary", "summarize",
    "SentimentError", "AudioError", "UnreadableAudioError", "EmptyAudioError", "TooShortError", "TooLongError",
    "NonFiniteAudioError", "NoSpeechError", "ModelError", "ModelUnavailableError", "EncoderMismatchError",
]
