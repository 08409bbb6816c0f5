"""Tools around the series, not taught by it: speed tables (`bench`), the long experiments that write
`results/` (`experiments`), the diagrams in `img/` (`diagrams`) and notebook execution (`notebooks`).

Each is a command: ``python -m lstm_helpers.tools.NAME --help``.
"""
