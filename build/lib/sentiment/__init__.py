"""Speech sentiment: English speech in, transcript and Negative / Neutral / Positive out.

    import sentiment
    pipe = sentiment.load_pipeline()          # the active stack, loaded once
    result = pipe("clip.wav")                 # Prediction: transcript, label, confidences, segments
"""

from .audio import SAMPLE_RATE, load_audio
from .errors import (AudioError, EmptyAudioError, EncoderMismatchError, ModelError, ModelUnavailableError,
                     NoSpeechError, NonFiniteAudioError, SentimentError, TooLongError, TooShortError,
                     UnreadableAudioError)
from .labels import LABELS
from .live import LiveSession
from .pipeline import Prediction, Segment, SentimentPipeline, load_pipeline
from .stacks import StackConfig, resolve_stack
from .summary import Summary, summarize
from .text import normalize_text

__all__ = [
    "SAMPLE_RATE", "LABELS", "load_audio", "load_pipeline", "normalize_text", "resolve_stack",
    "Prediction", "Segment", "SentimentPipeline", "StackConfig", "LiveSession", "Summary", "summarize",
    "SentimentError", "AudioError", "UnreadableAudioError", "EmptyAudioError", "TooShortError", "TooLongError",
    "NonFiniteAudioError", "NoSpeechError", "ModelError", "ModelUnavailableError", "EncoderMismatchError",
]
