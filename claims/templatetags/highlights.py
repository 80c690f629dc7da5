from django import template

from claims.highlights import runs

register = template.Library()


@register.inclusion_tag("claims/_highlighted_text.html")
def highlighted_text(text, claims, page_starts=()):
    """The text with every claim highlighted, and a mark where each page of a PDF starts; claims need start, end,
    status and pk."""
    return {"runs": runs(text, claims, page_starts or ())}
