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


@lru_cache(maxsize=65536)
def registered_domain(url: str) -> str:
    """The domain a URL was registered under, or "" for none (no URL, an IP address, an unknown suffix)."""
    if not url:
        return ""
    host = urlsplit(url if "//" in url else "//" + url).hostname or ""
    return _extractor()(host).top_domain_under_public_suffix.lower()
