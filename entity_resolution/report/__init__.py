"""Reports on a run: report.html (figures.py, charts.py, render.py) and enforcement metrics over runs
(metrics.py). Read-only over run folders and detection exports (sources.py)."""

from __future__ import annotations

from .render import REPORT, try_write_report, write_report

__all__ = ["REPORT", "try_write_report", "write_report"]
