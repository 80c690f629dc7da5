"""The rename of Corroboration to Link (and of independent_sources to independent_voices): the links, their
history and the counts stay, and the roles keep their permissions under the new names."""

from tests.migrating import MigrationTestCase

BEFORE = [("claims", "0020_stored_export_lists"), ("sources", "0009_list_sort_indexes")]
AFTER = [("claims", "0021_link_and_independent_voices"), ("sources", "0009_list_sort_indexes")]


class LinkRenameMigrationTests(MigrationTestCase):
    def test_links_their_history_counts_and_permissions_survive_the_rename(self):
        apps = self.migrate(BEFORE)
        Source, Claim = apps.get_model("sources", "Source"), apps.get_model("claims", "Claim")
        Old = apps.get_model("claims", "Corroboration")  # before the rename
        Group, Permission = apps.get_model("auth", "Group"), apps.get_model("auth", "Permission")
        first = Source.objects.create(title="First", text="The ferry sails at dawn.")
        second = Source.objects.create(title="Second", text="A ferry sails at dawn, they said.")
        a = Claim.objects.create(source=first, quote="ferry sails at dawn", start=4, end=23, kind="author_assertion")
        b = Claim.objects.create(source=second, quote="ferry sails at dawn", start=2, end=21, kind="author_assertion")
        a.independent_sources = 1  # before the rename
        a.save()
        link = Old.objects.create(claim_a=a, claim_b=b, relation="corroborates", note="same sailing")
        # A role holding the link permissions under their old names (a live-server test may have emptied the roles).
        annotators, _ = Group.objects.get_or_create(name="Annotator")
        old_names = ["add_corroboration", "change_corroboration", "delete_corroboration", "view_corroboration"]
        old_names += ["import_corroboration", "export_corroboration"]  # before the rename
        held = Permission.objects.filter(content_type__app_label="claims", codename__in=old_names)
        self.assertEqual(held.count(), 6)
        annotators.permissions.add(*held)

        apps = self.migrate(AFTER)
        Link, Claim = apps.get_model("claims", "Link"), apps.get_model("claims", "Claim")
        Group, Permission = apps.get_model("auth", "Group"), apps.get_model("auth", "Permission")
        kept = Link.objects.get(pk=link.pk)
        self.assertEqual((kept.claim_a_id, kept.claim_b_id, kept.note), (a.pk, b.pk, "same sailing"))
        self.assertEqual(Claim.objects.get(pk=a.pk).independent_voices, 1)
        codenames = set(Group.objects.get(name="Annotator").permissions.values_list("codename", flat=True))
        expected = {"add_link", "change_link", "delete_link", "view_link", "import_link", "export_link"}
        self.assertLessEqual(expected, codenames)
        old = Permission.objects.filter(content_type__app_label="claims", codename__endswith="corroboration")
        self.assertEqual(list(old.values_list("codename", flat=True)), [])  # before the rename
