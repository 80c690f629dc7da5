from claims.exchange.command import ImportCommand
from claims.exchange.resources import CorroborationResource


class Command(ImportCommand):
    help = (
        "Import corroboration links from a CSV with the columns claim_a, claim_b, relation, note. "
        "One transaction: any bad row and nothing is written; every bad row is listed with its line."
    )
    resource_class = CorroborationResource
