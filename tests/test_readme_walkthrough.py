"""What the README tells a newcomer to type works on a fresh install, and names what the exports hold."""

import re
from pathlib import Path

from django.conf import settings
from django.test import SimpleTestCase

from claims.exchange.columns import HEADER
from claims.management.commands.local_admin import Command as LocalAdmin

README = (Path(settings.BASE_DIR) / "README.md").read_text()


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
