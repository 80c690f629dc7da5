"""Registered domains of URLs (`asia.nikkei.com` → `nikkei.com`), from the public-suffix list bundled with
tldextract: no network, no cache written at run time."""

from functools import lru_cache
from urllib.parse import urlsplit


@lru_cache(maxsize=1)
def _extractor():
    """Made on first use: tldextract brings requests with it, which a command that never reads a URL should not
    load (issue 26's start-up)."""
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def registered_domain(url: str) -> str:
    """The domain a URL was registered under, or "" for none (no URL, an IP address, an unknown suffix)."""
    if not url:
        return ""
    return _host_domain(urlsplit(url if "//" in url else "//" + url).hostname or "")


@lru_cache(maxsize=65536)
def _host_domain(host: str) -> str:
    # Kept by host, not URL: a full recount reads every source's URL, and an outlet's articles share a host.
    return _extractor()(host).top_domain_under_public_suffix.lower()
