"""Fit the suggestion weights to the links and dismissals made so far."""

import time

from django.core.management.base import BaseCommand

from claims.corroboration.learning import refit


class Command(BaseCommand):
    help = "Fit the suggestion weights to every link accepted and suggestion dismissed so far."

    def handle(self, *args, **options):
        began = time.perf_counter()
        fit = refit()
        if fit is None:
            self.stdout.write("Not fitted: it needs at least one accepted and one dismissed suggestion.")
            return
        weights = ", ".join(f"{name} {weight:.2f}" for name, weight in sorted(fit.weights.items()))
        took = time.perf_counter() - began
        self.stdout.write(f"Fitted to {fit.decisions} decisions in {took:.2f} s: {weights}.")
