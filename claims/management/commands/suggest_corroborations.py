"""Suggest claims in other sources that probably corroborate or contradict a claim."""

import json

from django.core.management.base import BaseCommand, CommandError

from claims.corroboration.suggestions import suggestions_for
from claims.models import Claim
from sources.management.projects import add_project_argument, project_named


class Command(BaseCommand):
    help = "List the claims most likely to corroborate or contradict CLAIM_ID, best first, with a reason for each."

    def add_arguments(self, parser):
        add_project_argument(parser)
        parser.add_argument("claim_id", type=int)
        parser.add_argument("--limit", type=int, default=10, help="How many suggestions (default 10).")
        parser.add_argument("--json", dest="as_json", action="store_true", help="Write JSON instead of a table.")

    def handle(self, *args, claim_id: int, limit: int, as_json: bool, project=None, **options):
        project = project_named(project)
        if limit < 1:
            raise CommandError("--limit must be at least 1.")
        claim = Claim.objects.in_project(project).select_related("source", "speaker").filter(pk=claim_id).first()
        if claim is None:
            raise CommandError(f"There is no claim {claim_id}.")  # in this project: another's is not there
        suggestions = suggestions_for(claim, limit=limit)
        if as_json:
            self.write_json(suggestions)
            return
        if not suggestions:
            self.stdout.write(f"No suggestions for claim {claim.pk}.")
            return
        for rank, suggestion in enumerate(suggestions, start=1):
            other = suggestion.claim
            self.stdout.write(f"{rank:>2}. claim {other.pk} (score {suggestion.score}) in “{other.source.title}”")
            self.stdout.write(f"    {other.excerpt}")
            self.stdout.write(f"    why: {suggestion.reason or '—'}")

    def write_json(self, suggestions) -> None:
        rows = [
            {
                "claim_id": s.claim.pk,
                "source_id": s.claim.source_id,
                "source_title": s.claim.source.title,
                "quote": s.claim.quote,
                "speaker": s.claim.speaker.name if s.claim.speaker else None,
                "claimed_on": s.claim.claimed_on_iso or None,
                "score": s.score,
                "reason": s.reason,
                "possible_contradiction": s.possible_contradiction,
            }
            for s in suggestions
        ]
        self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
