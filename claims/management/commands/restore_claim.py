from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from claims.services import NotRestorable, restore_deleted_claim
from common.history import RecordedCommand


class Command(RecordedCommand):
    help = (
        "Bring a deleted claim back from its history, with its id, its tags and the links deleted with it "
        "(its quote must still stand at its offsets in the source's text)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("claim_id", type=int, help="the id of the deleted claim")

    def handle(self, *args, claim_id: int, **options):
        try:
            claim, links, left = restore_deleted_claim(claim_id=claim_id)
        except NotRestorable as error:
            raise CommandError(str(error)) from error
        except ValidationError as error:
            raise CommandError(f"Claim #{claim_id} cannot come back as it was: {' '.join(error.messages)}") from error
        self.stdout.write(f"restored claim #{claim.pk} {claim} with {len(links)} link(s)")
        for reason in left:
            self.stdout.write(f"not restored: {reason}")
