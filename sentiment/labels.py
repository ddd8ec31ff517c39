"""The label set, in SLUE's order (sorted: Negative, Neutral, Positive), used everywhere."""

LABELS: tuple[str, ...] = ("Negative", "Neutral", "Positive")
LABEL_TO_ID: dict[str, int] = {name: i for i, name in enumerate(LABELS)}


def label_id(name: str) -> int:
    """Map a label name (any case) to its index; raise ValueError naming the valid ones."""
    key = name.strip().capitalize()
    if key not in LABEL_TO_ID:
        raise ValueError(f"Unknown label {name!r}; expected one of {', '.join(LABELS)}")
    return LABEL_TO_ID[key]


def label_of(probs) -> tuple[str, dict[str, float]]:
    """The label with the highest probability, and every label's probability (rounded), in LABELS order."""
    values = [float(p) for p in probs]
    return LABELS[max(range(len(values)), key=values.__getitem__)], {n: round(p, 6) for n, p in zip(LABELS, values)}
