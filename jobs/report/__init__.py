"""The daily HTML report (`python -m jobs report`, docs/REPORT.md): command.py (the command,
paths, the evaluation's figures), data.py (gathered with Spark aggregations), page.py (the
HTML), plots.py (matplotlib figures as inline PNG)."""
