from django.test import RequestFactory

from core import spam


def request(remote="198.51.100.7", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/", **extra)


def test_without_a_trusted_proxy_the_socket_address_counts(settings):
    settings.TRUSTED_PROXIES = 0
    assert spam.client_address(request(forwarded="203.0.113.1")) == "198.51.100.7"


def test_behind_one_proxy_a_forged_forwarded_for_entry_is_ignored(settings):
    settings.TRUSTED_PROXIES = 1
    # The client sent "1.2.3.4" itself; the proxy appended the address it really saw.
    assert spam.client_address(request(forwarded="1.2.3.4, 203.0.113.1")) == "203.0.113.1"
    assert spam.client_address(request()) == "198.51.100.7"


def test_an_ipv6_network_is_counted_as_one_client():
    from core.spam import rate_limit_bucket

    assert rate_limit_bucket("2001:db8:1:2:aaaa::1") == rate_limit_bucket("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert rate_limit_bucket("2001:db8:1:3::1") != rate_limit_bucket("2001:db8:1:2::1")
    assert rate_limit_bucket("203.0.113.7") == "203.0.113.7"
    assert rate_limit_bucket("::ffff:203.0.113.7") == "203.0.113.7"
    assert rate_limit_bucket("unknown") == "unknown"
