from claims.demo import SOURCES, load_demo
from common.history import RecordedCommand
from sources.management.projects import add_project_argument, project_named
from sources.models import Source


class Command(RecordedCommand):
    help = (
        "Load the demo data, in two projects: the Kuril islands story into --project SLUG (the only project by "
        "default) and a short footbridge story into a project of its own (once; running it again changes nothing)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        add_project_argument(parser)

    def history_reason(self, options: dict) -> str:
        return "Loaded as demo data by load_demo"

    def handle(self, *args, project=None, **options):
        # Once loaded, there is nothing to choose: `make run` runs this every time, on a server with two projects.
        if Source.objects.filter(url=SOURCES[0]["url"]).exists():
            self.stdout.write("Demo data: already loaded.")
            return
        created = load_demo(project_named(project))
        self.stdout.write(f"Demo data: {created} sources created in two projects.")
