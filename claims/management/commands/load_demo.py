from django.core.management.base import BaseCommand

from claims.demo import load_demo


class Command(BaseCommand):
    help = "Load the demo sources, claims and links (once; running it again changes nothing)."

    def handle(self, *args, **options):
        created = load_demo()
        self.stdout.write(f"Demo data: {created} sources created." if created else "Demo data: already loaded.")
