from pathlib import Path

from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from cxone_desktop.ui.connect_form import ConnectForm
from cxone_desktop.ui.connect_model import ConnectValues
from cxone_desktop.ui.secret_store import SecretStore

GOOD = ConnectValues(location="acme", client_id="cid", client_secret="s3cr3t", call_id="c1")


def make(qtbot: QtBot, settings: QSettings) -> ConnectForm:
    form = ConnectForm(settings, SecretStore())
    qtbot.addWidget(form)
    return form


def test_connect_is_enabled_only_when_every_field_is_valid(
    qtbot: QtBot, settings: QSettings, no_keyring: None
) -> None:
    form = make(qtbot, settings)
    assert not form.connect_button.isEnabled()
    form.set_values(GOOD)
    assert form.connect_button.isEnabled()
    qtbot.keyClicks(form.call_id, " x/y")
    assert not form.connect_button.isEnabled()
    assert "call ID" in form.message_for("call_id")
    assert form.message_for("location") == ""


def test_typing_a_bad_tenant_shows_a_message_under_it(
    qtbot: QtBot, settings: QSettings, no_keyring: None
) -> None:
    form = make(qtbot, settings)
    qtbot.keyClicks(form.location, "acme.niceincontact.com")
    assert "tenant name" in form.message_for("location")
    form.location.clear()
    qtbot.keyClicks(form.location, "https://127.0.0.1:9")
    assert form.message_for("location") == ""


def test_clicking_connect_on_an_empty_form_explains_every_field(
    qtbot: QtBot, settings: QSettings, no_keyring: None
) -> None:
    form = make(qtbot, settings)
    with qtbot.assertNotEmitted(form.connect_requested):
        form._on_connect_clicked()
    for field in ("location", "client_id", "client_secret", "call_id"):
        assert form.message_for(field), field


def test_secret_is_masked(qtbot: QtBot, settings: QSettings, no_keyring: None) -> None:
    form = make(qtbot, settings)
    assert form.client_secret.echoMode() == form.client_secret.EchoMode.Password


def test_settings_remember_everything_but_the_secret(
    qtbot: QtBot, settings: QSettings, tmp_path: Path, no_keyring: None
) -> None:
    form = make(qtbot, settings)
    form.set_values(
        ConnectValues(
            **{**GOOD.__dict__, "auth_style": "form", "token_in": "header", "scope": "a:b c:d"}
        )
    )
    form.save_settings()
    text = Path(settings.fileName()).read_text()
    assert "s3cr3t" not in text
    again = make(qtbot, settings)
    again.load_settings()
    v = again.values()
    assert (v.location, v.client_id, v.call_id, v.auth_style, v.token_in) == (
        "acme",
        "cid",
        "c1",
        "form",
        "header",
    )
    assert v.client_secret == ""
    assert v.scope == "a:b c:d"


def test_without_a_keyring_the_remember_box_is_off_and_says_why(
    qtbot: QtBot, settings: QSettings, no_keyring: None
) -> None:
    form = make(qtbot, settings)
    assert not form.remember_secret.isEnabled()
    assert "keyring" in form.keyring_note.text()
    assert not form.keyring_note.isHidden()


def test_secret_goes_to_the_keyring_only_when_ticked(
    qtbot: QtBot, settings: QSettings, memory_keyring: dict
) -> None:
    form = make(qtbot, settings)
    form.set_values(GOOD)
    form.save_settings()
    assert memory_keyring == {}
    form.remember_secret.setChecked(True)
    form.save_settings()
    assert list(memory_keyring.values()) == ["s3cr3t"]
    assert "s3cr3t" not in Path(settings.fileName()).read_text()
    again = make(qtbot, settings)
    again.load_settings()
    assert again.values().client_secret == "s3cr3t"
    again.remember_secret.setChecked(False)
    again.save_settings()
    assert memory_keyring == {}


def test_busy_locks_the_fields_and_swaps_the_buttons(
    qtbot: QtBot, settings: QSettings, no_keyring: None
) -> None:
    form = make(qtbot, settings)
    form.set_values(GOOD)
    form.set_busy(True)
    assert not form.connect_button.isEnabled()
    assert form.disconnect_button.isEnabled()
    assert not form.call_id.isEnabled()
    form.set_busy(False)
    assert form.connect_button.isEnabled()
    assert not form.disconnect_button.isEnabled()
