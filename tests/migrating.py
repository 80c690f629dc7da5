"""A test case that runs the database back to an older migration, writes rows as they were, and migrates forward."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TransactionTestCase


class MigrationTestCase(TransactionTestCase):
    def migrate(self, targets=None):
        """Migrate to `targets` (the latest migrations when None); the apps as they are there."""
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        targets = targets or executor.loader.graph.leaf_nodes()
        executor.migrate(targets)
        return executor.loader.project_state(targets).apps

    def tearDown(self):
        self.migrate()
        super().tearDown()
