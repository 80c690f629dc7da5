"""django-import-export resources for exporting claims and their corroboration links as XLSX and JSON.

The claims resource takes its columns from claims.exchange.columns, so the admin's XLSX and JSON, the
commands and the streamed CSV all share one definition. Imports do not go through these resources: the
admin's import pages (claims.exchange.admin) and the commands call claims.exchange.importing.
"""

from import_export import resources
from import_export.fields import Field
from import_export.widgets import ForeignKeyWidget

from claims.corroboration.independence import explanations_for_claims
from claims.exchange.columns import COLUMNS, chosen_columns, claim_cells
from claims.models import Claim, Link
from sources.resources import SpreadsheetSafe


class ClaimResource(resources.Resource):
    """The claims CSV: id, version, source, quote and offsets, speaker, dates, tags, links and independence."""

    class Meta:
        model = Claim
        name = "Claims"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields = {column.name: Field(attribute=column.alias, column_name=column.name) for column in COLUMNS}

    @classmethod
    def get_display_name(cls) -> str:
        return cls._meta.name

    def get_queryset(self):
        return Claim.objects.all()

    def filter_export(self, queryset, **kwargs):
        # Every cell comes out of the database as text, as the streamed CSV's do.
        columns = kwargs.get("export_fields") or None
        return claim_cells(queryset, columns).values(*(c.alias for c in chosen_columns(columns)))


class LinkResource(SpreadsheetSafe, resources.ModelResource):
    """Links between claims: claim_a, claim_b, relation, note; and, written out only, how each claim counts the
    other's source (`voice_for_claim_a`, `voice_for_claim_b`: the explanation the claim page shows)."""

    claim_a = Field("claim_a", "claim_a", ForeignKeyWidget(Claim))
    claim_b = Field("claim_b", "claim_b", ForeignKeyWidget(Claim))
    voice_for_claim_a = Field(column_name="voice_for_claim_a", readonly=True)
    voice_for_claim_b = Field(column_name="voice_for_claim_b", readonly=True)

    class Meta:
        model = Link
        name = "Links"
        fields = [
            "id",
            "claim_a",
            "claim_b",
            "relation",
            "note",
            "created_at",
            "voice_for_claim_a",
            "voice_for_claim_b",
        ]

    def filter_export(self, queryset, **kwargs):
        queryset = super().filter_export(queryset, **kwargs).select_related("claim_a", "claim_b")
        self.explained = explanations_for_claims(
            {pk for pair in queryset.values_list("claim_a", "claim_b") for pk in pair}
        )
        return queryset

    def voice(self, link: Link, claim: Claim, other: Claim) -> str:
        if link.relation != Link.Relation.CORROBORATES:
            return ""
        voice = self.explained.get(claim.pk, {}).get(other.source_id)
        return voice.summary if voice else ""

    def dehydrate_voice_for_claim_a(self, link: Link) -> str:
        return self.voice(link, link.claim_a, link.claim_b)

    def dehydrate_voice_for_claim_b(self, link: Link) -> str:
        return self.voice(link, link.claim_b, link.claim_a)
