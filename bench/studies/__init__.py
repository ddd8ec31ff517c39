"""Studies: measurements whose result became a constant or a default of the product. Each module names it
in ``DECIDES`` (``module:NAME``), and ``python -m bench --list`` shows it."""
