"""Registered domains of URLs (`asia.nikkei.com` → `nikkei.com`), from the public-suffix list bundled with
tldextract: no network, no cache written at run time."""

from functools import lru_cache
from urllib.parse import urlsplit

import tldextract

_extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@lru_cache(maxsize=65536)
def registered_domain(url: str) -> str:
    """The domain a URL was registered under, or "" for none (no URL, an IP address, an unknown suffix)."""
    if not url:
        return ""
    host = urlsplit(url if "//" in url else "//" + url).hostname or ""
    return _extract(host).top_domain_under_public_suffix.lower()
