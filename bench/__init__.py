"""The benchmarks: one entry point, ``python -m bench --list`` and ``python -m bench NAME [options]``.

Three groups, by what they measure: ``speed`` (time and memory, each beside a baseline timed in the same
run), ``quality`` (what the product gets right, on real and synthetic speech, each named as what it is) and
``studies`` (measurements whose result became a constant of the product, which each names). They share one
timer (``bench.timing``), one peak-memory probe (``testkit.memory``) and one record format
(``bench.records``: ``--record`` writes ``bench/results/NAME-DATE.json``, which the figure tables in
docs/ are rendered from by ``python -m bench docs``). They use the product's public API only, and are
run by hand: speed belongs in a benchmark, never in a timed test.
"""
