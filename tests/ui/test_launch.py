import argparse

from cxone_desktop.cli_parser import build_parser
from cxone_desktop.ui.connect_model import ConnectValues
from cxone_desktop.ui.launch import _apply_args, has_display


def test_display_detection() -> None:
    assert not has_display({}, "linux")
    assert has_display({"DISPLAY": ":0"}, "linux")
    assert has_display({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert has_display({"QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert has_display({}, "win32")
    assert has_display({}, "darwin")


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["gui", *argv])


def test_command_line_wins_over_remembered_values() -> None:
    remembered = ConnectValues(location="old", client_id="old-id", call_id="old-call")
    args = parse(
        "--base-url",
        "http://127.0.0.1:9",
        "--client-id",
        "cid",
        "--call-id",
        "c9",
        "--auth-style",
        "form",
        "--token-in",
        "header",
        "--encoding",
        "alaw",
        "--poll-interval",
        "5",
        "--insecure",
    )
    v = _apply_args(remembered, args)
    assert (v.location, v.client_id, v.call_id) == ("http://127.0.0.1:9", "cid", "c9")
    assert (v.auth_style, v.token_in, v.encoding, v.poll_interval_s, v.verify_tls) == (
        "form",
        "header",
        "alaw",
        5.0,
        False,
    )


def test_unset_arguments_keep_remembered_values() -> None:
    remembered = ConnectValues(location="acme", client_id="id", auth_style="basic")
    v = _apply_args(remembered, parse())
    assert v == remembered


def test_demo_keeps_the_simulators_location_and_credentials() -> None:
    demo = ConnectValues(
        location="http://127.0.0.1:5", client_id="demo-client", call_id="demo-call"
    )
    v = _apply_args(demo, parse("--tenant", "acme", "--token-in", "header"), keep_location=True)
    assert (v.location, v.client_id, v.token_in) == ("http://127.0.0.1:5", "demo-client", "header")


def test_the_application_icon_is_set_and_renders_at_taskbar_sizes(qapp) -> None:  # type: ignore[no-untyped-def]
    from cxone_desktop.ui.launch import _set_icon

    _set_icon(qapp)
    icon = qapp.windowIcon()
    assert not icon.isNull()
    for size in (16, 48, 256):
        pixmap = icon.pixmap(size, size)
        assert not pixmap.isNull() and pixmap.width() == size
