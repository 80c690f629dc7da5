from claims.exchange.command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import corroboration links between a project's claims (--project SLUG; the only one by default) from a "
        "CSV or XLSX with the columns claim_a, claim_b, relation, note. "
        "One transaction: any bad row and nothing is written; every bad row is listed with its line."
    )
    what = "links"
