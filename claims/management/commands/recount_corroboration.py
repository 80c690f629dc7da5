"""python manage.py recount_corroboration [--check]: recompute every claim's stored corroboration counts."""

from django.core.management.base import BaseCommand, CommandError

from claims.corroboration.counting import recount_all


class Command(BaseCommand):
    help = (
        "Recompute every claim's corroborating sources, independent voices, unverified sources and contradicting "
        "sources, the undecided likely duplicates they depend on, and the lists of claims corroborating and "
        "contradicting it, from scratch, a stretch of claims at a time; report the claims whose stored counts had "
        "drifted and repair them. "
        "With --check, only report (exit code 1 on drift)."
    )

    # A data command run by scripts, often: it does not load every page and admin to check them (`manage.py
    # check` does), which was most of its start-up (issue 26).
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="report drift without repairing it")

    def handle(self, *args, check: bool = False, **options):
        drift = recount_all(repair=not check)
        for pk, (stored, right) in sorted(drift.items())[:20]:
            # The counts and the lists (Counts' first six), then the undecided duplicates when they differ.
            said = f"claim {pk}: stored {tuple(stored[:6])}, should be {tuple(right[:6])}"
            if stored.undecided_duplicates != right.undecided_duplicates:
                said += (
                    f"; undecided duplicates “{stored.undecided_duplicates}”, should be “{right.undecided_duplicates}”"
                )
            self.stdout.write(said)
        if len(drift) > 20:
            self.stdout.write(f"… and {len(drift) - 20} more")
        if check and drift:
            raise CommandError(f"{len(drift)} claim(s) store wrong counts; run without --check to repair them.")
        verb = "found wrong" if check else "repaired"
        self.stdout.write(
            f"{len(drift)} claim(s) {verb} (counts: corroborating, independent, unverified, contradicting; "
            "lists: corroborated by, contradicted by)."
        )
