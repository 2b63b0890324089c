"""Identity-graph entity resolution for trust-and-safety teams."""

from __future__ import annotations

__version__ = "0.1.0"
