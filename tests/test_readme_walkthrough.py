"""What the README tells a newcomer to type works on a fresh install, and names what the exports hold."""

import io
import re
import shlex
import unittest
from pathlib import Path

from django.conf import settings
from django.core.management import call_command, get_commands, load_command_class
from django.test import SimpleTestCase, TestCase

from claims.exchange.columns import HEADER
from claims.management.commands.local_admin import Command as LocalAdmin
from sources.models import Source

README = (Path(settings.BASE_DIR) / "README.md").read_text()
SEEDS = Path(settings.BASE_DIR).parent / "shared" / "seeds"


class ReadmeTests(SimpleTestCase):
    def test_the_commands_name_a_user_a_fresh_install_has(self):
        fresh = LocalAdmin().create_parser("manage.py", "local_admin").parse_args([]).username
        for line in README.splitlines():
            if "manage.py" in line and "--user " in line:
                with self.subTest(line=line.strip()):
                    self.assertEqual(re.search(r"--user (\S+)", line).group(1), fresh)

    def test_the_csv_columns_named_for_the_jsonld_counts_are_in_the_claims_csv(self):
        said = re.search(r"claims CSV has `(\w+)` and `(\w+)` as columns", README)
        self.assertIsNotNone(said)
        self.assertLessEqual(set(said.groups()), set(HEADER))
        self.assertNotIn("named by its CSV column", README)


def readme_commands() -> list[tuple[str, list[str]]]:
    """Each `manage.py` command line the README gives to type: (the line, its words after manage.py)."""
    commands = []
    for line in README.splitlines():
        said = re.search(r"^\s*(?:\.venv/bin/python )?manage\.py (.+?)(?:\s+#.*)?$", line.strip())
        if said:
            commands.append((line.strip(), shlex.split(said.group(1).rstrip("\\ "))))
    return commands


class ReadmeProjectTests(SimpleTestCase):
    def test_the_commands_that_work_in_one_project_name_it_for_make_run_makes_two(self):
        checked = 0
        for line, words in readme_commands():
            parser = load_command_class(get_commands()[words[0]], words[0]).create_parser("manage.py", words[0])
            if "[--project SLUG]" in parser.format_usage():
                checked += 1
                with self.subTest(line=line):
                    self.assertIn("--project main", line)
        self.assertGreater(checked, 10)


@unittest.skipUnless(SEEDS.is_dir(), "the seed articles are not in ../shared/seeds")
class ReadmeWalkThroughTests(TestCase):
    def test_the_walk_through_imports_the_seeds_after_make_run_as_written(self):
        call_command("load_demo", stdout=io.StringIO())  # as `make run` does: two projects
        call_command("local_admin", stdout=io.StringIO())
        (words,) = [words for line, words in readme_commands() if "../shared/seeds/ --user" in line]
        out = io.StringIO()
        call_command(*[str(SEEDS) if word == "../shared/seeds/" else word for word in words], stdout=out)
        created = [int(pk) for pk in re.findall(r"^created (\d+) ", out.getvalue(), re.MULTILINE)]
        self.assertEqual(len(created), 5)
        self.assertEqual(set(Source.objects.filter(pk__in=created).values_list("project__slug", flat=True)), {"main"})
