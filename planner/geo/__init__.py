"""Geometry adapters: CRS choice, candidate catalogue, priority areas, demand cells."""
