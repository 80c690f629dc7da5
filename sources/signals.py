"""What sources tell the apps built on them, without knowing them."""

from django.dispatch import Signal

# Sent inside the import's transaction when a new capture replaces a source's text, with `source` (already saved
# with its new text) and `old_text`. A receiver answers with a list of report rows (dicts) for the capture's
# anchor report: claims.anchoring follows each claim to the new text.
text_replaced = Signal()

# Sent inside the transaction of a change to what independence compares (a source's authors, publisher or URL,
# an organisation's parent, a merge of people or organisations, publishers marked distinct), with `source_ids`:
# the sources whose voice may have changed. claims.corroboration answers by recounting the claims they touch.
voices_changed = Signal()


def announce_voices_changed(source_ids) -> None:
    """Tell the apps built on sources that these sources' voices may have changed."""
    source_ids = set(source_ids)
    if source_ids:
        voices_changed.send(sender=None, source_ids=source_ids)


# Sent inside merge_agents' transaction before people or organisations are merged, with `merged` (their ids),
# `keep` (the id they merge into) and `reason`: claims moves the claims they spoke to `keep`, each through its
# version check and with a history record, before the generic re-pointing finds none left.
agents_merging = Signal()
