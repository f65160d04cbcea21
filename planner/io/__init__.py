"""Disk I/O only: readers for vector and tabular inputs, writers, the atomic run folder."""
