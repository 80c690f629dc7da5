"""The annotate page: a source's text with its claims highlighted, and a side panel to add, edit and link claims.

The page is rendered once; the panel's forms are sent by static/claims/editor.js with fetch, and the views
answer with JSON holding HTML fragments rendered from the same templates the page uses.
"""

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from claims.corroboration.admin import SUGGESTION_ACTIONS
from claims.corroboration.independence import Explained, explain
from claims.corroboration.suggestions import suggestions_for
from claims.editor.forms import EditorClaimForm, LinkForm, LinkSearchForm
from claims.models import Claim, Link
from claims.rules import back_to_draft_message, may_link
from claims.services import dismiss_suggestion, link_claims
from common.projects import sees_everything
from sources.models import Source


def visible_sources(request: HttpRequest):
    """The sources whose claims this person sees (those of their projects): another project's source is a 404
    here, as everywhere. The page is one of claims: a grant to see every claim shows the sources they stand in."""
    if sees_everything(request.user, Claim):
        return Source.objects.all()
    return Source.objects.visible_to(request.user)


def visible_claims(request: HttpRequest):
    return Claim.objects.visible_to(request.user)


def text_context(source: Source) -> dict:
    """What the highlighted text needs: the source and its claims' spans and statuses (one query).

    A broken claim is left out: its old offsets no longer fit the text (see broken_context)."""
    claims = source.claims.exclude(anchor_state=Claim.AnchorState.BROKEN)
    return {"source": source, "claims": claims.only("pk", "source", "start", "end", "status").order_by()}


def broken_context(request: HttpRequest, source: Source) -> dict:
    """The claims whose anchor broke with a new capture: listed with their quote, to be re-anchored."""
    broken = source.claims.filter(anchor_state=Claim.AnchorState.BROKEN).only("pk", "source", "quote", "status")
    return {"broken_claims": broken.order_by("pk"), "may_change": request.user.has_perm("claims.change_claim", source)}


def add_form_context(request: HttpRequest, source: Source, form: EditorClaimForm | None = None) -> dict:
    if form is None:
        form = EditorClaimForm(instance=Claim(source=source), user=request.user, auto_id="new-%s")
    return {"source": source, "add_form": form}


def panel_context(
    request: HttpRequest,
    claim: Claim,
    *,
    form: EditorClaimForm | None = None,
    link_form: LinkForm | None = None,
    search_form: LinkSearchForm | None = None,
    suggestion_error: str = "",
    with_suggestions: bool = False,
) -> dict:
    """One claim opened for editing: its form, its links both ways, the form to link it to another claim,
    and the suggested links (shown to every role; their buttons only to those who may link). The suggested
    links are left for the panel to fetch after it shows (claim_suggestions), unless `with_suggestions`."""
    links = (
        Link.objects.filter(Q(claim_a=claim) | Q(claim_b=claim))
        .select_related("claim_a__source", "claim_a__speaker", "claim_b__source", "claim_b__speaker")
        .defer(*(f"{side}__source__{field}" for side in ("claim_a", "claim_b") for field in ("text", "raw_text")))
    )
    search_form = search_form or LinkSearchForm(user=request.user)
    # The counts' explanation, the one the claim page and the provenance page show.
    explained = explain(claim)
    by_source = {row.source.pk: row for row in explained}

    def voice_of(link: Link) -> Explained | None:
        if link.relation != Link.Relation.CORROBORATES:
            return None
        return by_source.get(link.other(claim).source_id)

    return {
        "claim": claim,
        "form": form or EditorClaimForm(instance=claim, user=request.user, auto_id="claim-%s"),
        "links": [(link, link.other(claim), voice_of(link)) for link in links.order_by("created_at", "pk")],
        "voices": explained,
        "search_form": search_form,
        "link_form": link_form or LinkForm(user=request.user, claim=claim),
        "results": search_form.results(claim) if search_form.is_valid() else [],
        **(suggestions_context(request, claim) if with_suggestions else {}),
        "may_link": may_link(request.user, claim),
        "may_change": request.user.has_perm("claims.change_claim", claim),
        "may_add_link": request.user.has_perm("claims.add_link", claim),
        "suggestion_actions": SUGGESTION_ACTIONS,
        "suggestion_url": "annotate:suggestion",
        "suggestion_error": suggestion_error,
    }


def suggestions_context(request: HttpRequest, claim: Claim) -> dict:
    return {
        "claim": claim,
        "suggestions": suggestions_for(claim),
        "may_link": may_link(request.user, claim),
        "suggestion_actions": SUGGESTION_ACTIONS,
        "suggestion_url": "annotate:suggestion",
    }


def render_fragment(request: HttpRequest, template: str, context: dict) -> str:
    return render_to_string(f"claims/{template}", context, request=request)


@staff_member_required
@permission_required("claims.view_claim", raise_exception=True)
@require_GET
def annotate(request: HttpRequest, source_id: int) -> HttpResponse:
    """The source's text with its claims highlighted; `?claim=<id>` opens one of them in the panel."""
    source = get_object_or_404(visible_sources(request).defer("raw_text"), pk=source_id)
    context = {
        **admin.site.each_context(request),
        **text_context(source),
        "title": f"Annotate: {source.title}",
        "opts": Source._meta,
        "may_add": request.user.has_perm("claims.add_claim", source),
        "status_choices": Claim.Status.choices,
        **broken_context(request, source),
    }
    if context["may_add"]:
        context.update(add_form_context(request, source))
    opened = request.GET.get("claim", "")
    if opened.isdigit():
        claim = get_object_or_404(visible_claims(request).select_related("source", "speaker"), pk=opened, source=source)
        context.update(panel_context(request, claim))
    context["media"] = EditorClaimForm.Meta.widgets["speaker"].media
    return render(request, "claims/annotate.html", context)


@staff_member_required
@permission_required("claims.add_claim", raise_exception=True)
@require_POST
def add_claim(request: HttpRequest, source_id: int) -> JsonResponse:
    """Save a claim made from a selection; answer with the new highlights and the claim opened."""
    source = get_object_or_404(visible_sources(request), pk=source_id)
    # Asked again by save_claim; here in the source's project, as the panel asks its claim's: someone who adds claims
    # only in another project is refused, not shown a form whose fields are all disabled.
    if not request.user.has_perm("claims.add_claim", source):
        return HttpResponse("You may not add claims to this source.", status=403)
    claim = Claim(source=source, created_by=request.user)
    form = EditorClaimForm(request.POST, instance=claim, user=request.user, auto_id="new-%s")
    try:
        with transaction.atomic():
            saved = form.is_valid()
            if saved:
                form.save()  # claims.services.save_claim
    except ValidationError as error:  # the same words saved by a concurrent request (a double click)
        form.add_error(None, error)
        saved = False
    if not saved:
        html = render_fragment(request, "editor_add_form.html", add_form_context(request, source, form))
        return JsonResponse({"add_form": html}, status=422)
    return JsonResponse(
        {
            "claim": claim.pk,
            "text": render_fragment(request, "editor_text.html", text_context(source)),
            "add_form": render_fragment(request, "editor_add_form.html", add_form_context(request, source)),
            "panel": render_fragment(request, "editor_claim_panel.html", panel_context(request, claim)),
            "broken": render_fragment(request, "editor_broken_claims.html", broken_context(request, source)),
        }
    )


@staff_member_required
@permission_required("claims.view_claim", raise_exception=True)
@require_http_methods(["GET", "POST"])
def claim_panel(request: HttpRequest, claim_id: int) -> HttpResponse:
    """GET: the claim's panel (an HTML fragment). POST: save the claim's form; answer with JSON."""
    claim = get_object_or_404(visible_claims(request).select_related("source", "speaker"), pk=claim_id)
    if request.method == "GET":
        return HttpResponse(render_fragment(request, "editor_claim_panel.html", panel_context(request, claim)))
    # Asked again by save_claim; here to answer before the form.
    if not request.user.has_perm("claims.change_claim", claim):
        return HttpResponse("You may not change claims.", status=403)
    was = claim.status
    form = EditorClaimForm(request.POST, instance=claim, user=request.user, auto_id="claim-%s")
    try:
        with transaction.atomic():
            saved = form.is_valid()
            if saved:
                form.save()  # claims.services.save_claim, which asks for claims.change_claim (403 without)
    except ValidationError as error:  # a concurrent request put another claim on these words first
        form.add_error(None, error)
        saved = False
    if not saved:
        html = render_fragment(request, "editor_claim_panel.html", panel_context(request, claim, form=form))
        return JsonResponse({"panel": html}, status=422)
    message = f"Claim #{claim.pk} saved."
    if claim.sent_back_to_draft:
        message = back_to_draft_message(claim.pk, Claim.Status(was).label)
    claim = Claim.objects.select_related("source", "speaker").get(pk=claim.pk)
    return JsonResponse(
        {
            "claim": claim.pk,
            "message": message,
            "text": render_fragment(request, "editor_text.html", text_context(claim.source)),
            "panel": render_fragment(request, "editor_claim_panel.html", panel_context(request, claim)),
            "broken": render_fragment(request, "editor_broken_claims.html", broken_context(request, claim.source)),
        }
    )


@staff_member_required
@permission_required("claims.view_claim", raise_exception=True)
@require_GET
def claim_suggestions(request: HttpRequest, claim_id: int) -> HttpResponse:
    """The claim's suggested links (an HTML fragment), fetched by the panel once it shows, so that opening a
    claim never waits for them."""
    claims = visible_claims(request).select_related("source", "speaker").defer("source__raw_text")
    claim = get_object_or_404(claims, pk=claim_id)
    return HttpResponse(render_fragment(request, "editor_suggestions.html", suggestions_context(request, claim)))


@staff_member_required
@permission_required("claims.view_claim", raise_exception=True)
@require_GET
def link_search(request: HttpRequest, claim_id: int) -> HttpResponse:
    """Claims in other sources matching the words, speaker or date asked for (an HTML fragment)."""
    claim = get_object_or_404(visible_claims(request), pk=claim_id)
    search_form = LinkSearchForm(request.GET, user=request.user)
    valid = search_form.is_valid()
    context = {
        "claim": claim,
        "search_form": search_form,
        "link_form": LinkForm(user=request.user, claim=claim),
        "results": search_form.results(claim) if valid else [],
        "searched": True,
    }
    return HttpResponse(render_fragment(request, "editor_link_results.html", context), status=200 if valid else 422)


@staff_member_required
@permission_required("claims.link_claim", raise_exception=True)  # asked again by link_claims
@require_POST
def add_link(request: HttpRequest, claim_id: int) -> JsonResponse:
    """Link the claim to a claim in another source through link_claims; answer with the claim's panel."""
    claim = get_object_or_404(visible_claims(request).select_related("source", "speaker"), pk=claim_id)
    link_form = LinkForm(request.POST, user=request.user, claim=claim)
    if link_form.is_valid():
        try:
            link_claims(
                claim_a=claim,
                claim_b=link_form.cleaned_data["other"],
                relation=link_form.cleaned_data["relation"],
                note=link_form.cleaned_data["note"],
                created_by=request.user,
            )
        except ValidationError as e:
            link_form.add_error(None, e.messages)
    if link_form.errors:
        # Keep what was typed: the search, its results, the chosen claim, the relation and the note.
        search_form = LinkSearchForm(request.POST, user=request.user)
        context = panel_context(request, claim, link_form=link_form, search_form=search_form)
        context["searched"] = True
        return JsonResponse({"panel": render_fragment(request, "editor_claim_panel.html", context)}, status=422)
    return JsonResponse({"panel": render_fragment(request, "editor_claim_panel.html", panel_context(request, claim))})


@staff_member_required
@permission_required("claims.link_claim", raise_exception=True)  # asked again, in the claim's project, by the services
@require_POST
def suggestion(request: HttpRequest, claim_id: int, other_id: int, action: str) -> JsonResponse:
    """Link a suggested claim as corroborating or contradicting, or dismiss it, through the same services and
    permission rule as the claim's admin page; answer with the claim's panel, the suggestion gone from it."""
    claim = get_object_or_404(visible_claims(request).select_related("source", "speaker"), pk=claim_id)
    other = get_object_or_404(visible_claims(request), pk=other_id)
    if action not in SUGGESTION_ACTIONS:
        raise PermissionDenied
    try:
        if action == "dismiss":
            dismiss_suggestion(claim=claim, suggested=other, dismissed_by=request.user)
        else:
            link_claims(claim_a=claim, claim_b=other, relation=Link.Relation(action), created_by=request.user)
    except ValidationError as error:
        context = panel_context(request, claim, suggestion_error=" ".join(error.messages), with_suggestions=True)
        return JsonResponse({"panel": render_fragment(request, "editor_claim_panel.html", context)}, status=422)
    return JsonResponse(
        {
            "panel": render_fragment(
                request, "editor_claim_panel.html", panel_context(request, claim, with_suggestions=True)
            ),
            "message": f"Claim #{other.pk} {SUGGESTION_ACTIONS[action]}.",
        }
    )
