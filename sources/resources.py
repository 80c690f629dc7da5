"""django-import-export resources for people and organisations, and for sources' metadata (not their text)."""

from django.core.exceptions import ValidationError
from import_export import resources
from import_export.fields import Field
from import_export.formats.base_formats import CSV, JSON, XLSX
from import_export.widgets import ForeignKeyWidget, ManyToManyWidget, Widget

from common.choices import choice_of, choice_values
from common.formulas import escape, unescape
from common.projects import project_or_sole
from sources.dates import from_iso
from sources.models import Agent, Project, Source
from sources.rules import require
from sources.services import save_agent, save_source, voices_changed_for_agents
from sources.signals import announce_voices_changed

SPREADSHEET_FORMATS = [CSV, XLSX, JSON]


class SpreadsheetSafe:
    """Exported text cells are escaped so spreadsheets do not run them; imported cells are unescaped."""

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        return escape(value) if isinstance(value, str) else value

    def before_import_row(self, row, **kwargs):
        for name, cell in row.items():
            if isinstance(cell, str):
                row[name] = unescape(cell)
        super().before_import_row(row, **kwargs)


class InProjectForeignKey(ForeignKeyWidget):
    """A foreign key looked up among the import's project's rows only: another project's name is not found. A name
    found nowhere, or more than once, refuses the row with the field and the name (import-export's widget failed
    the row with "Agent matching query does not exist.", naming neither)."""

    project = None  # set by the resource (InProject.before_import)

    def get_queryset(self, value, row, *args, **kwargs):
        return self.model.objects.in_project(self.project)

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(f"No one is named “{value}” in this project: add them on the People page first.") from None
        except self.model.MultipleObjectsReturned:
            raise ValueError(
                f"Several people or organisations are named “{value}” in this project: merge them, or rename one."
            ) from None


class InProjectManyToMany(ManyToManyWidget):
    """Names looked up among the import's project's rows only. A name not found there is refused, naming it, as a
    publisher's is (import-export's widget leaves it out: a misspelt author vanished from the source unsaid)."""

    project = None

    def clean(self, value, row=None, **kwargs):
        found = list(super().clean(value, row, **kwargs).filter(project=self.project))
        named = {getattr(agent, self.field) for agent in found}
        given = (name.strip() for name in str(value or "").split(self.separator))
        missing = [name for name in given if name and name not in named]
        if missing:
            unknown = ", ".join(f"“{name}”" for name in missing)
            raise ValueError(f"No one is named {unknown} in this project: add them on the People page first.")
        return found


class InProject:
    """An import into one project (`project`, given by the admin; the server's only one otherwise), by someone who
    holds the import permission there (`import_permission`). Rows are looked up in that project only; a row whose id
    is not one of its rows is refused with the message of an id that does not exist, so another project's rows are
    neither changed nor revealed; new rows are the project's."""

    import_permission = ""
    unknown_id = "No row has id {id}."

    def __init__(self, *args, project=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project

    def before_import(self, dataset, **kwargs):
        user = kwargs.get("user")
        if self.project is None and user is not None:
            # Not named (the admin's import page has no project field): the one project this person may import
            # into, when there is one.
            importable = [p for p in Project.objects.order_by("pk") if user.has_perm(self.import_permission, p)]
            self.project = importable[0] if len(importable) == 1 else None
        self.project = project_or_sole(self.project)
        require(user, self.import_permission, obj=self.project)
        for field in self.fields.values():
            if isinstance(field.widget, InProjectForeignKey | InProjectManyToMany):
                field.widget.project = self.project
        super().before_import(dataset, **kwargs)

    def get_queryset(self):
        # An export is handed its rows (the admin's list, already the person's projects); an import has its project.
        rows = self._meta.model.objects
        return rows.all() if self.project is None else rows.in_project(self.project)

    def init_instance(self, row=None):
        given = (row or {}).get("id")
        if given not in (None, ""):
            # An id names a row to change; one that is not the project's is unknown (ids are not chosen by imports).
            raise ValidationError({"id": self.unknown_id.format(id=given)})
        instance = super().init_instance(row)
        instance.project = self.project
        return instance


class AnnouncesVoices:
    """After an import, tell the apps built on sources which sources' voices may have changed."""

    def before_import(self, dataset, **kwargs):
        self.saved_pks = set()
        super().before_import(dataset, **kwargs)

    def after_save_instance(self, instance, row, **kwargs):
        super().after_save_instance(instance, row, **kwargs)
        self.saved_pks.add(instance.pk)


class ChoiceByLabel(Widget):
    """A choice given as its code or its label in any case ("Organisation"), as the claims import reads a kind;
    anything else refused with the choices (the library's "Value 'Organisation' is not a valid choice." named
    none)."""

    def __init__(self, choices, **kwargs):
        super().__init__(**kwargs)
        self.choices, self.values = choices, choice_values(choices)

    def clean(self, value, row=None, **kwargs):
        given = str(value if value is not None else "").strip()
        if not given:
            return ""  # the field's default, if it has one
        code = choice_of(self.values, given)
        if code is None:
            raise ValueError(f"“{given}” is not one of: {', '.join(self.choices.values)}.")
        return code

    def render(self, value, obj=None, **kwargs):
        return value


class AgentResource(InProject, AnnouncesVoices, SpreadsheetSafe, resources.ModelResource):
    parent = Field("parent", "parent", InProjectForeignKey(Agent, "name"))
    kind = Field("kind", "kind", ChoiceByLabel(Agent.Kind), default=Agent.Kind.PERSON)
    import_permission = "sources.import_agent"
    unknown_id = "No person or organisation has id {id}; leave id empty to add one."

    class Meta:
        model = Agent
        name = "People and organisations"
        fields = ["id", "name", "kind", "aliases", "wikidata_id", "parent"]
        clean_model_instances = True
        skip_unchanged = True

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        voices_changed_for_agents(self.saved_pks)

    def do_instance_save(self, instance, is_create):
        # The import's permission (sources.import_agent) was asked by the admin before the file was read.
        save_agent(instance, user=None)


class SourceResource(InProject, AnnouncesVoices, SpreadsheetSafe, resources.ModelResource):
    """A source's metadata. Its text is left out: a new source comes in as a capture, not as a CSV row."""

    publisher = Field("publisher", "publisher", InProjectForeignKey(Agent, "name"))
    authors = Field("authors", "authors", InProjectManyToMany(Agent, separator="; ", field="name"))
    import_permission = "sources.import_source"
    unknown_id = "No source has id {id}."
    published_on = Field(column_name="published_on", readonly=True)
    text_sha256 = Field("text_sha256", "text_sha256", readonly=True)

    class Meta:
        model = Source
        name = "Sources (metadata)"
        fields = [
            "id",
            "title",
            "url",
            "publisher",
            "authors",
            "published_on",
            "language",
            "retrieved_at",
            "notes",
            "text_sha256",
        ]
        clean_model_instances = True
        skip_unchanged = True

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        announce_voices_changed(self.saved_pks)

    def dehydrate_published_on(self, source: Source) -> str:
        return source.published_on_iso

    def do_instance_save(self, instance, is_create):
        # The import's permission (sources.import_source) was asked by the admin before the file was read. The row's
        # authors are saved with it, through its door: under its locks, checked for people deleted or merged since
        # they were read, and one history record with the row.
        save_source(instance, user=None, authors=self.authors)

    def save_m2m(self, instance, row, **kwargs):
        """Nothing: the authors, a source's one many-to-many field, were saved with it (`do_instance_save`);
        import-export would set them after, past save_source's locks and checks."""

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        if "published_on" in row:
            try:
                instance.published_on, instance.published_on_precision = from_iso(row["published_on"] or "")
            except ValueError as e:
                raise ValidationError({"published_on": str(e)}) from e
        authors = self.fields["authors"]
        self.authors = None  # the row does not name them: kept
        if authors.column_name in row:
            try:
                self.authors = authors.clean(row, **kwargs)
            except ValueError as e:
                raise ValidationError({"authors": str(e)}) from e
