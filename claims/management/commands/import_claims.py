from claims.exchange.command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import claims into a project (--project SLUG; the only one by default) from a claims CSV or XLSX (the "
        "export's header, or any part of it with quote and source_id "
        "or source_url; comma or semicolon separated). A row with an id updates that claim, unless the claim has "
        "changed since the row's version was exported. One transaction: any bad row and nothing is written; every "
        "bad row is listed with its line."
    )
    what = "claims"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--date-format",
            metavar="FORMAT",
            help="how a spreadsheet wrote full dates, as strptime reads them (e.g. %%d/%%m/%%Y); "
            "without it only YYYY-MM-DD, YYYY-MM and YYYY are read",
        )

    def import_options(self, options) -> dict:
        return {"date_format": options.get("date_format")}
