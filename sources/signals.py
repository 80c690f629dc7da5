"""What sources tell the apps built on them, without knowing them."""

from django.dispatch import Signal

# Sent inside the import's transaction when a new capture replaces a source's text, with `source` (already saved
# with its new text) and `old_text`. A receiver answers with a list of report rows (dicts) for the capture's
# anchor report: claims.anchoring follows each claim to the new text.
text_replaced = Signal()
