"""Registered domains of URLs (`asia.nikkei.com` → `nikkei.com`), from the public-suffix list bundled with
publicsuffixlist (ICANN section): no network, no cache written at run time."""

from functools import lru_cache
from urllib.parse import urlsplit


@lru_cache(maxsize=1)
def _suffixes():
    """Made on first use (the bundled list parsed: 0.05 s). publicsuffixlist loads nothing else; tldextract, used
    before, brought requests with it, 0.16 s of every full recount (issue 26)."""
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList(only_icann=True, accept_unknown=False)


def registered_domain(url: str) -> str:
    """The domain a URL was registered under, or "" for none (no URL, an IP address, an unknown suffix)."""
    if not url:
        return ""
    return _host_domain(urlsplit(url if "//" in url else "//" + url).hostname or "")


@lru_cache(maxsize=65536)
def _host_domain(host: str) -> str:
    # Kept by host, not URL: a full recount reads every source's URL, and an outlet's articles share a host.
    return (_suffixes().privatesuffix(host.lower()) or "") if host else ""
