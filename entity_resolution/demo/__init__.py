"""Synthetic demo data with ground truth, and the `er demo` job."""
