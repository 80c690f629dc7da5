"""Corroboration: independence counts, clusters of corroborating claims, and suggested links."""
