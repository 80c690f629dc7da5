"""History records written before people and reasons were kept get the system user and a reason saying so
(claims migration 0012); records that named them keep theirs."""

import datetime

from common.history import BEFORE_PEOPLE_AND_REASONS, SYSTEM_USERNAME
from tests.migrating import MigrationTestCase

BEFORE = [("claims", "0011_claim_kind_follows_speaker")]
AFTER = [("claims", "0012_history_people_and_reasons")]
WHEN = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC)


class OldHistoryRecordsTests(MigrationTestCase):
    def test_records_without_a_person_or_reason_get_the_system_user_and_say_why(self):
        old = self.migrate(BEFORE)
        users = old.get_model("auth", "User")
        users.objects.filter(username=SYSTEM_USERNAME).delete()
        editor = users.objects.create(username="editor")
        agents = old.get_model("sources", "HistoricalAgent").objects
        agents.create(id=1, name="Old Agency", kind="organisation", history_date=WHEN, history_type="+")
        agents.create(
            id=1,
            name="Old Agency Ltd",
            kind="organisation",
            history_date=WHEN,
            history_type="~",
            history_user=editor,
            history_change_reason="Renamed after the merger",
        )
        claims = old.get_model("claims", "HistoricalClaim").objects
        claims.create(
            id=7, source_id=1, quote="word", start=0, end=4, kind="reported", status="draft", history_date=WHEN,
            history_type="+", anchor_state="held", claimed_on_precision="day", created_at=WHEN, updated_at=WHEN,
        )  # fmt: skip

        new = self.migrate(AFTER)
        system = new.get_model("auth", "User").objects.get(username=SYSTEM_USERNAME)
        self.assertFalse(system.is_active)
        records = new.get_model("sources", "HistoricalAgent").objects.order_by("history_id")
        self.assertEqual(
            [(r.history_user.username, r.history_change_reason) for r in records],
            [(SYSTEM_USERNAME, BEFORE_PEOPLE_AND_REASONS), ("editor", "Renamed after the merger")],
        )
        claim = new.get_model("claims", "HistoricalClaim").objects.get(id=7)
        self.assertEqual((claim.history_user_id, claim.history_change_reason), (system.pk, BEFORE_PEOPLE_AND_REASONS))
