"""Helpers with no app of their own: spreadsheet formula escaping, progress lines, batching, COPY inserts."""
