"""Fit the suggestion weights of one project to the links and dismissals made in it so far."""

import time

from django.core.management.base import BaseCommand

from claims.corroboration.learning import refit
from sources.management.projects import add_project_argument, project_named


class Command(BaseCommand):
    help = "Fit a project's suggestion weights to every link accepted and suggestion dismissed in it so far."

    def add_arguments(self, parser):
        add_project_argument(parser)

    def handle(self, *args, **options):
        project = project_named(options["project"])
        began = time.perf_counter()
        fit = refit(project)
        if fit is None:
            self.stdout.write(
                f"Not fitted in {project.slug}: it needs at least one accepted and one dismissed suggestion."
            )
            return
        weights = ", ".join(f"{name} {weight:.2f}" for name, weight in sorted(fit.weights.items()))
        took = time.perf_counter() - began
        self.stdout.write(f"Fitted {project.slug} to {fit.decisions} decisions in {took:.2f} s: {weights}.")
