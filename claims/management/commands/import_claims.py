from claims.exchange.command import ImportCommand
from claims.exchange.resources import ClaimResource


class Command(ImportCommand):
    help = (
        "Import claims from a claims CSV (the export's header, or any part of it with quote and source_id or "
        "source_url). A row with an id updates that claim. One transaction: any bad row and nothing is written; "
        "every bad row is listed with its line."
    )
    resource_class = ClaimResource
