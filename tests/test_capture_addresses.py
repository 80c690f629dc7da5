"""capture_url fetches only public addresses: every hop's host is resolved once, checked, and connected to as
checked; a host in CAPTURE_ALLOWED_HOSTS is let through (our test site on 127.0.0.1 is allowed that way)."""

import io
import socket
import urllib.parse
from unittest import mock

from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase, override_settings

from sources.archives.fetching import FetchRefused, checked_address
from sources.models import Capture, Source
from tests.webarchives import LocalSite

INTERNAL = {
    "http://127.0.0.1/": "loopback",
    "http://localhost/": "loopback",
    "http://2130706433/": "loopback",  # 127.0.0.1 as one number
    "http://0x7f.1/": "loopback",  # 127.0.0.1 in hex, two parts
    "http://017700000001/": "loopback",  # 127.0.0.1 in octal
    "http://[::1]/": "loopback",
    "http://[::ffff:127.0.0.1]/": "loopback",  # IPv4 inside IPv6
    "http://10.1.2.3/": "private",
    "http://192.168.0.1/": "private",
    "http://172.16.0.1/": "private",
    "http://[fc00::1]/": "private",
    "http://169.254.169.254/latest/meta-data/": "link-local",  # a cloud's metadata service
    "http://[fe80::1]/": "link-local",
    "http://224.0.0.1/": "multicast",
    "http://[ff02::1]/": "multicast",
    "http://0.0.0.0/": "unspecified",
    "http://[::]/": "unspecified",
    "http://240.0.0.1/": "reserved",
    "http://100.64.0.1/": "non-public",  # carrier-grade NAT
}


class AddressCheckTests(TestCase):
    def test_every_internal_address_form_is_refused_with_its_kind(self):
        for url, kind in INTERNAL.items():
            with self.subTest(url), self.assertRaises(FetchRefused) as refused:
                checked_address(url)
            self.assertIn(f"a {kind} address", str(refused.exception))
            self.assertIn("CAPTURE_ALLOWED_HOSTS", str(refused.exception))

    def test_a_public_address_is_the_one_to_connect_to(self):
        self.assertEqual(checked_address("http://93.184.215.14/a"), (socket.AF_INET, "93.184.215.14"))

    @override_settings(CAPTURE_ALLOWED_HOSTS=["localhost"])
    def test_a_host_named_in_the_setting_is_let_through_and_no_other(self):
        self.assertEqual(checked_address("http://localhost:8000/")[1] in {"127.0.0.1", "::1"}, True)
        with self.assertRaises(FetchRefused):
            checked_address("http://127.0.0.1:8000/")


@override_settings(CAPTURE_ALLOWED_HOSTS=["127.0.0.1"])
class RedirectChainTests(TestCase):
    """The site on 127.0.0.1 is allowed; where it redirects is checked again, hop by hop."""

    def setUp(self):
        self.site = LocalSite()
        self.addCleanup(self.site.stop)
        self.port = self.site.server.server_port

    def capture(self, url: str) -> tuple[str, int]:
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command("capture_url", url, "--timeout", "5", stdout=out, stderr=err)
        except CommandError as e:
            return out.getvalue() + err.getvalue(), e.returncode
        return out.getvalue() + err.getvalue(), 0

    def redirect_to(self, target: str) -> str:
        return self.site.url("/quay/elsewhere?to=" + urllib.parse.quote(target, safe=""))

    def test_a_redirect_within_the_allowed_host_is_followed(self):
        output, code = self.capture(self.redirect_to(self.site.url("/quay/ferry-fares")))
        self.assertEqual(code, 0, output)
        self.assertTrue(Source.objects.filter(url=self.site.url("/quay/ferry-fares")).exists())

    def test_a_redirect_to_another_name_of_the_loopback_address_is_refused_and_nothing_stored(self):
        for host in ("localhost", "2130706433", "0x7f.1", "[::ffff:127.0.0.1]"):
            target = f"http://{host}:{self.port}/quay/ferry-fares"
            with self.subTest(host):
                output, code = self.capture(self.redirect_to(target))
                self.assertEqual(code, 1, output)
                self.assertIn(f"failed {self.redirect_to(target)}: {target} was not fetched", output)
                self.assertIn("a loopback address", output)
        self.assertFalse(Capture.objects.exists())
        self.assertFalse(Source.objects.exists())

    def test_the_connection_goes_to_the_address_checked_not_to_a_second_lookup(self):
        real = socket.getaddrinfo
        lookups = []

        def rebinding(host, *args, **kwargs):
            # "pages.test" answers our site once, then a port where nothing listens: a naive check-then-fetch
            # would look it up twice and connect to the second answer.
            if host != "pages.test":
                return real(host, *args, **kwargs)
            lookups.append(host)
            port = self.port if len(lookups) == 1 else 9
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1", port))]

        url = f"http://pages.test:{self.port}/quay/ferry-fares"
        with override_settings(CAPTURE_ALLOWED_HOSTS=["pages.test"]), mock.patch("socket.getaddrinfo", rebinding):
            output, code = self.capture(url)
        self.assertEqual(code, 0, output)
        self.assertEqual(lookups, ["pages.test"])
        self.assertEqual(Capture.objects.get().target_url, url)
