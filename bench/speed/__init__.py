"""Speed and memory: each figure beside a baseline measured in the same run (ratios, not absolute times)."""
