"""Text models: normalisation, the frozen encoder and the sentiment head."""

from sentiment.text.normalize import NORMALIZATION, normalize_text  # noqa: F401
