from cxone_desktop.serving.base_url import local_base_url


def test_a_wildcard_bind_is_reached_on_loopback_and_ipv6_is_bracketed():
    assert local_base_url("0.0.0.0", 8080, tls=False) == "http://127.0.0.1:8080"
    assert local_base_url("::1", 8443, tls=True) == "https://[::1]:8443"


def test_the_default_port_is_dropped_only_when_asked_so_a_certificate_host_matches():
    assert (
        local_base_url("cxone.test", 443, tls=True, omit_default_port=True) == "https://cxone.test"
    )
    assert local_base_url("cxone.test", 443, tls=True) == "https://cxone.test:443"
    assert (
        local_base_url("cxone.test", 80, tls=True, omit_default_port=True)
        == "https://cxone.test:80"
    )
