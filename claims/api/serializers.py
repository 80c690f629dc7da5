"""What the API reads and writes. Reading serializers shape the responses; writing ones only type the request
body, and the admin's forms (claims/api/writing.py) apply the rules, so errors read as they do in the admin."""

from rest_framework import serializers

from claims.models import Claim, Link
from sources.models import Agent, Capture, Source

# Ids and offsets as the database can hold them: a bigger number is a 400, never an overflow in the query.
ID = {"min_value": 1, "max_value": 2**63 - 1}
OFFSET = {"min_value": 0, "max_value": 2**31 - 1}


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A related object by id among the rows the requesting person may see (common.projects.visible_to): an id of
    another project is "does not exist", as an id of nothing is."""

    def get_queryset(self):
        request = self.context.get("request")
        queryset = super().get_queryset()
        return queryset.visible_to(request.user) if request is not None else queryset.none()


class ProjectModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose related fields (source, speaker, publisher, authors, parent, link ends) choose only
    among visible rows."""

    serializer_related_field = VisibleRelatedField


PROJECT_HELP = "The project's slug or id; left out, the only project where you may add."


class AgentSerializer(ProjectModelSerializer):
    aliases = serializers.SerializerMethodField()

    class Meta:
        model = Agent
        fields = ["id", "name", "kind", "aliases", "wikidata_id", "parent"]

    def get_aliases(self, agent: Agent) -> list[str]:
        return [line.strip() for line in agent.aliases.splitlines() if line.strip()]


class AgentWriteSerializer(serializers.Serializer):
    name = serializers.CharField(required=False)
    kind = serializers.ChoiceField(choices=Agent.Kind.choices, required=False)
    aliases = serializers.ListField(child=serializers.CharField(), required=False)
    wikidata_id = serializers.CharField(required=False, allow_blank=True)
    parent = serializers.IntegerField(required=False, allow_null=True, **ID)


class AgentCreateSerializer(AgentWriteSerializer):
    name = serializers.CharField()
    project = serializers.CharField(required=False, help_text=PROJECT_HELP)


class CaptureSerializer(serializers.ModelSerializer):
    class Meta:
        model = Capture
        fields = [
            "id",
            "file_name",
            "size",
            "sha256",
            "encoding",
            "retrieved_at",
            "method",
            "imported_by",
            "imported_at",
        ]


class SourceSerializer(ProjectModelSerializer):
    published_on = serializers.CharField(source="published_on_iso", read_only=True)

    class Meta:
        model = Source
        fields = [
            "id",
            "title",
            "url",
            "publisher",
            "authors",
            "published_on",
            "language",
            "text_sha256",
            "raw_sha256",
            "retrieved_at",
            "notes",
            "created_at",
            "updated_at",
        ]


class SourceDetailSerializer(SourceSerializer):
    """One source: its text too, and its captures with their hashes (read-only)."""

    captures = CaptureSerializer(many=True, read_only=True)

    class Meta(SourceSerializer.Meta):
        fields = [*SourceSerializer.Meta.fields, "text", "captures"]


class SourceWriteSerializer(serializers.Serializer):
    title = serializers.CharField(required=False)
    url = serializers.CharField(required=False, allow_blank=True)
    publisher = serializers.IntegerField(required=False, allow_null=True, **ID)
    authors = serializers.ListField(child=serializers.IntegerField(**ID), required=False)
    published_on = serializers.CharField(required=False, allow_blank=True, help_text="YYYY, YYYY-MM or YYYY-MM-DD.")
    language = serializers.CharField(required=False, allow_blank=True)
    text = serializers.CharField(required=False, help_text="Read-only once the source has claims.")
    notes = serializers.CharField(required=False, allow_blank=True)


class SourceCreateSerializer(SourceWriteSerializer):
    project = serializers.CharField(required=False, help_text=PROJECT_HELP)
    title = serializers.CharField()
    text = serializers.CharField(help_text="The clean text that claims are anchored to.")


class ClaimSerializer(ProjectModelSerializer):
    source_title = serializers.CharField(source="source.title", read_only=True)
    speaker_name = serializers.CharField(source="speaker.name", read_only=True, default=None, allow_null=True)
    claimed_on = serializers.CharField(
        source="claimed_on_iso", read_only=True, help_text="YYYY, YYYY-MM or YYYY-MM-DD."
    )
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    corroborating_sources = serializers.IntegerField(read_only=True)
    independent_voices = serializers.IntegerField(read_only=True)
    unverified_sources = serializers.IntegerField(read_only=True)
    contradicting_sources = serializers.IntegerField(read_only=True)

    class Meta:
        model = Claim
        fields = [
            "id",
            "source",
            "source_title",
            "quote",
            "start",
            "end",
            "statement",
            "speaker",
            "speaker_name",
            "claimed_on",
            "kind",
            "status",
            "rating",
            "tags",
            "version",
            "anchor_state",
            "corroborating_sources",
            "independent_voices",
            "unverified_sources",
            "contradicting_sources",
            "created_at",
            "updated_at",
        ]


class ClaimWriteSerializer(serializers.Serializer):
    source = serializers.IntegerField(required=False, **ID)
    quote = serializers.CharField(required=False, trim_whitespace=False)
    start = serializers.IntegerField(required=False, allow_null=True, **OFFSET)
    end = serializers.IntegerField(required=False, allow_null=True, **OFFSET)
    statement = serializers.CharField(required=False, allow_blank=True)
    speaker = serializers.IntegerField(required=False, allow_null=True, **ID)
    claimed_on = serializers.CharField(required=False, allow_blank=True, help_text="YYYY, YYYY-MM or YYYY-MM-DD.")
    kind = serializers.ChoiceField(choices=Claim.Kind.choices, required=False)
    status = serializers.ChoiceField(choices=Claim.Status.choices, required=False, help_text="Reviewers only.")
    rating = serializers.ChoiceField(
        choices=Claim.Rating.choices, required=False, allow_null=True, help_text="Reviewers only: the verdict."
    )
    tags = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    version = serializers.IntegerField(
        **OFFSET, help_text="The version you read; a newer one on the server is a 409 naming it."
    )


class ClaimCreateSerializer(ClaimWriteSerializer):
    source = serializers.IntegerField(**ID)
    quote = serializers.CharField(trim_whitespace=False, help_text="The exact words, found in the source's text.")
    version = None  # a new claim starts at version 1


class LinkSerializer(ProjectModelSerializer):
    class Meta:
        model = Link
        fields = ["id", "claim_a", "claim_b", "relation", "note", "created_by", "created_at", "updated_at"]
        read_only_fields = ["created_by", "created_at", "updated_at"]


class LinkWriteSerializer(serializers.Serializer):
    claim_a = serializers.IntegerField(required=False, **ID)
    claim_b = serializers.IntegerField(required=False, **ID)
    relation = serializers.ChoiceField(choices=Link.Relation.choices, required=False)
    note = serializers.CharField(required=False, allow_blank=True)


class LinkCreateSerializer(LinkWriteSerializer):
    claim_a = serializers.IntegerField(**ID)
    claim_b = serializers.IntegerField(**ID)


class SuggestionSerializer(serializers.Serializer):
    claim = serializers.IntegerField(source="claim.pk")
    quote = serializers.CharField(source="claim.quote")
    source = serializers.IntegerField(source="claim.source_id")
    score = serializers.FloatField()
    reasons = serializers.ListField(child=serializers.CharField())
    possible_contradiction = serializers.BooleanField()


class SuggestionActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["corroborates", "contradicts", "dismiss"])


class LinkedSourceSerializer(serializers.Serializer):
    claim = serializers.IntegerField()
    source = serializers.IntegerField()
    source_title = serializers.CharField()
    relation = serializers.CharField()
    independent = serializers.BooleanField(help_text="A corroborating source in an independent voice.")
    unverified = serializers.BooleanField(help_text="A corroborating source with no author, publisher or URL.")
    group = serializers.CharField(help_text="Its voice, for a corroborating source; empty for a contradicting one.")
    why = serializers.CharField(help_text="Why it is in that voice; empty for a contradicting link.")


class VoiceSerializer(serializers.Serializer):
    source = serializers.IntegerField()
    source_title = serializers.CharField()
    group = serializers.CharField(help_text="the claim's own source's voice, independent voice N, or unverified")
    unverified = serializers.BooleanField()
    why = serializers.ListField(child=serializers.CharField())


class CorroborationSerializer(serializers.Serializer):
    claim = serializers.IntegerField()
    voices = VoiceSerializer(many=True, help_text="Each corroborating source, its voice and why.")
    corroborating_sources = serializers.IntegerField()
    independent_voices = serializers.IntegerField()
    unverified_sources = serializers.IntegerField()
    contradicting_sources = serializers.IntegerField()
    links = LinkedSourceSerializer(many=True)
