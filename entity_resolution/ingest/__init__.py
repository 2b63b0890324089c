"""Read the three identity sources (and optional labels), check the data contract, standardise.

Table contract inside DuckDB (the rest of the pipeline relies on it):

in_accounts(account_id VARCHAR, created_at TIMESTAMPTZ, email VARCHAR, full_name VARCHAR, phone VARCHAR,
            date_of_birth DATE, postcode VARCHAR, country VARCHAR, signup_ip VARCHAR)
in_devices(account_id VARCHAR, observed_at TIMESTAMPTZ, device_id VARCHAR, ip VARCHAR, user_agent VARCHAR)
in_payments(account_id VARCHAR, observed_at TIMESTAMPTZ, card_fingerprint VARCHAR, card_bin VARCHAR,
            card_last4 VARCHAR, cardholder_name VARCHAR, billing_postcode VARCHAR, billing_country VARCHAR,
            disputed BOOLEAN)
in_labels(account_id VARCHAR, label VARCHAR, decided_at TIMESTAMPTZ, origin VARCHAR)   -- empty if no file

Values are trimmed; empty strings become NULL; optional columns missing from a file are NULL.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Inputs:
    accounts: Path
    devices: Path
    payments: Path
    labels: Path | None = None

    def files(self) -> dict[str, Path]:
        out = {"accounts": self.accounts, "devices": self.devices, "payments": self.payments}
        if self.labels is not None:
            out["labels"] = self.labels
        return out
