"""Web archives (WARC, ISO 28500; WACZ): reading them as captures, recording pages, verifying, exporting.

- `records` reads a .warc, .warc.gz or .wacz into page records, checking digests and completeness.
- `imports` turns each page record into a capture through the ordinary import path.
- `fetching` records a page as a WARC (capture_url), `verifying` re-checks stored captures,
  `writing` writes a source's captures back out as a WARC.
"""
