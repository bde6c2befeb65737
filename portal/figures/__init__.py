"""Figures: headline numbers, rates with context and the charts of published tables."""
