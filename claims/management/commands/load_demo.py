from claims.demo import load_demo
from common.history import RecordedCommand


class Command(RecordedCommand):
    help = "Load the demo sources, claims and links (once; running it again changes nothing)."

    def history_reason(self, options: dict) -> str:
        return "Loaded as demo data by load_demo"

    def handle(self, *args, **options):
        created = load_demo()
        self.stdout.write(f"Demo data: {created} sources created." if created else "Demo data: already loaded.")
