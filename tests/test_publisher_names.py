"""A publisher a page names under two names ("X, now known as Y", "Y (formerly X)") is one organisation."""

from sources.cleaning import detect_renames
from sources.importing import import_raw
from sources.models import Agent, Capture
from tests.base import BaseTestCase

OLD_NAME_PAGE = (
    "Islands talks stall\n\nThe talks stalled again.\n\nYour full access to the Eastern Review has expired\n"
)
NEW_NAME_PAGE = (
    "Islands talks resume\n\nThe talks resumed in June.\n\nYour full access to Eastern Asia has expired\n\n"
    "Eastern Review, now known as Eastern Asia, will be the voice of the region.\n"
)


def imported(name: str, text: str):
    return import_raw(data=text.encode(), file_name=name, method=Capture.Method.TEXT, imported_by="test").source


class RenameDetectionTests(BaseTestCase):
    def test_now_known_as_names_the_former_and_the_current_name(self):
        self.assertEqual(
            detect_renames("Nikkei Asian Review, now known as Nikkei Asia, will be"),
            [("Nikkei Asian Review", "Nikkei Asia")],
        )

    def test_formerly_in_a_masthead_names_both(self):
        self.assertEqual(
            detect_renames("Eastern Asia (formerly the Eastern Review)"), [("Eastern Review", "Eastern Asia")]
        )

    def test_a_page_without_a_rename_names_none(self):
        self.assertEqual(detect_renames("Your full access to Eastern Asia has expired"), [])


class PublisherNamedTwiceTests(BaseTestCase):
    def test_the_new_name_found_later_joins_the_old_names_organisation(self):
        old, new = imported("old.txt", OLD_NAME_PAGE), imported("new.txt", NEW_NAME_PAGE)
        self.assertEqual(old.publisher, new.publisher)
        publisher = Agent.objects.get(pk=old.publisher_id)
        self.assertEqual({publisher.name, *publisher.alias_list}, {"Eastern Review", "Eastern Asia"})

    def test_the_renaming_page_first_makes_one_organisation_the_old_name_finds(self):
        new, old = imported("new.txt", NEW_NAME_PAGE), imported("old.txt", OLD_NAME_PAGE)
        self.assertEqual(old.publisher, new.publisher)
        self.assertEqual(new.publisher.name, "Eastern Asia")
        self.assertEqual(new.publisher.alias_list, ["Eastern Review"])

    def test_two_organisations_already_there_under_both_names_are_merged(self):
        Agent.objects.create(name="Eastern Review", kind=Agent.Kind.ORGANISATION)
        Agent.objects.create(name="Eastern Asia", kind=Agent.Kind.ORGANISATION)
        new = imported("new.txt", NEW_NAME_PAGE)
        self.assertEqual(Agent.objects.filter(name__startswith="Eastern").count(), 1)
        self.assertIn("Eastern Review", new.publisher.alias_list)

    def test_a_rename_of_another_organisation_leaves_the_publisher_alone(self):
        page = NEW_NAME_PAGE.replace("Eastern Review, now known as Eastern Asia", "Acme Oil, now known as Acme Energy")
        source = imported("other.txt", page)
        self.assertEqual((source.publisher.name, source.publisher.alias_list), ("Eastern Asia", []))


class AliasesInTheAdminTests(BaseTestCase):
    def test_the_people_list_shows_an_organisations_other_names(self):
        imported("new.txt", NEW_NAME_PAGE)
        self.client.force_login(self.bob)
        response = self.client.get("/admin/sources/agent/?q=Eastern")
        self.assertContains(response, '<td class="field-also_known_as">Eastern Review</td>', html=True)

    def test_a_reviewer_edits_the_aliases_on_the_organisations_page(self):
        publisher = imported("new.txt", NEW_NAME_PAGE).publisher
        self.client.force_login(self.bob)
        response = self.client.get(f"/admin/sources/agent/{publisher.pk}/change/")
        self.assertContains(response, 'name="aliases"')
        self.assertContains(response, "Eastern Review</textarea>")


class PublisherByDomainTests(BaseTestCase):
    def test_a_page_naming_no_publisher_gets_the_one_publishing_its_registered_domain(self):
        first = import_raw(
            data=OLD_NAME_PAGE.encode(),
            file_name="a.txt",
            method=Capture.Method.TEXT,
            imported_by="t",
            url="https://www.easternreview.com/a",
        ).source
        second = import_raw(
            data=b"Islands talks again\n\nThe talks went on in July, without an agreement.\n",
            file_name="b.txt",
            method=Capture.Method.TEXT,
            imported_by="t",
            url="https://asia.easternreview.com/b",
        ).source
        self.assertEqual(second.publisher, first.publisher)

    def test_a_domain_with_several_publishers_gives_none(self):
        for name, path in (("One Paper", "a"), ("Other Paper", "b")):
            source = imported(f"{path}.txt", OLD_NAME_PAGE.replace("Eastern Review", name) + path)
            source.url = f"https://blogs.example.org/{path}"
            source.save()
        third = import_raw(
            data=b"Islands talks again\n\nThe talks went on in July, without an agreement.\n",
            file_name="c.txt",
            method=Capture.Method.TEXT,
            imported_by="t",
            url="https://blogs.example.org/c",
        ).source
        self.assertIsNone(third.publisher)
