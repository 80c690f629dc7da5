"""The version check holds when another writer saves a claim between the moment its version is read and the
conditional UPDATE that advances it: SQLite takes no row lock, so claims.rules.stale_versions_after_advancing
compares the rows it updated with the rows it found current, and refuses the write when they differ."""

from contextlib import contextmanager

from django.db import connection
from django.db.models import F

from claims.models import Claim
from claims.rules import StaleVersion, stale_versions_after_advancing
from tests.base import BaseTestCase


@contextmanager
def another_write_before_the_version_update(claim_id: int):
    """Another writer saves the claim (its version goes up) after the versions were read and just before the
    conditional UPDATE that advances them runs: the moment SQLite, without row locks, leaves open."""
    done = False

    def wrapper(execute, sql, params, many, context):
        nonlocal done
        advancing = sql.lstrip().startswith("UPDATE") and '"claims_claim"."version" = ' in sql
        if advancing and not done:
            done = True
            Claim.objects.filter(pk=claim_id).update(version=F("version") + 1)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield
    assert done, "no UPDATE advanced the claims' versions"


class VersionRaceTests(BaseTestCase):
    def test_a_save_landing_between_the_version_read_and_the_update_is_refused(self):
        seen = {self.rejected.pk: self.rejected.version, self.unacceptable.pk: self.unacceptable.version}
        with another_write_before_the_version_update(self.rejected.pk), self.assertRaises(StaleVersion):
            stale_versions_after_advancing(seen)
        # Refused whole: the claim still current took no version from this write either.
        self.assertEqual(Claim.objects.get(pk=self.unacceptable.pk).version, self.unacceptable.version)
