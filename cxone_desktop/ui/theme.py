"""Colours that keep 4.5:1 contrast in light, dark and high-contrast palettes.

Every colour the window picks itself is chosen here, from the palette it is drawn
in, so text stays readable whatever colour scheme the platform has (WCAG 2.1 1.4.3:
4.5:1 for text; 1.4.11: 3:1 for a focus indicator). With the platform's high-contrast
preference on, the window uses palette roles only (highlight for "current", the text
colour for borders) and lets the platform decide.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QGuiApplication, QPalette, Qt

from cxone_desktop.core.state_machine import CallState

TEXT_CONTRAST = 4.5
FOCUS_CONTRAST = 3.0

#: Chip fills for the current call state; white text on each is at least 4.5:1.
STATE_FILLS = {
    CallState.IDLE: "#4b5563",
    CallState.CONNECTING: "#b45309",
    CallState.STREAMING: "#15803d",
    CallState.RECONNECTING: "#b45309",
    CallState.DISCONNECTING: "#1d4ed8",
    CallState.TERMINATED: "#374151",
}
#: The current-state chip while the call is up but no audio comes.
STALL_FILL = "#9a3412"
#: "Network degraded": white on it is 4.8:1.
ALERT_FILL = "#b91c1c"
CHIP_TEXT = "#ffffff"

#: Banner accents (border, and a light tint of it behind the text).
SEVERITY_ACCENTS = {"error": "#dc2626", "warning": "#d97706", "info": "#2563eb"}
#: Error text under a form field: the first that reads on the window's background.
ERROR_TEXT_CANDIDATES = ("#b91c1c", "#fca5a5", "#ffb4b4")


def relative_luminance(colour: QColor) -> float:
    """WCAG 2.1's relative luminance of an sRGB colour (0 black … 1 white)."""

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.redF())
        + 0.7152 * channel(colour.greenF())
        + 0.0722 * channel(colour.blueF())
    )


def contrast_ratio(a: QColor | str, b: QColor | str) -> float:
    """WCAG contrast ratio between two colours, 1 … 21."""
    la, lb = relative_luminance(QColor(a)), relative_luminance(QColor(b))
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightnessF() < 0.5


def high_contrast() -> bool:
    """The platform asks for high contrast (Windows' contrast themes, GNOME, macOS)."""
    app = QGuiApplication.instance()
    if not isinstance(app, QGuiApplication):
        return False
    style_hints = app.styleHints()  # held: PySide deletes a chained temporary's child
    try:
        preference = style_hints.accessibility().contrastPreference()
    except RuntimeError:
        return False
    return bool(preference == Qt.ContrastPreference.HighContrast)


def blend(a: QColor, b: QColor, amount_b: float) -> QColor:
    """`a` with `amount_b` of `b` mixed in."""
    t = max(0.0, min(1.0, amount_b))
    return QColor.fromRgbF(
        a.redF() * (1 - t) + b.redF() * t,
        a.greenF() * (1 - t) + b.greenF() * t,
        a.blueF() * (1 - t) + b.blueF() * t,
    )


def readable_text(background: QColor, preferred: QColor) -> QColor:
    """`preferred` if it reads on `background` at 4.5:1, else black or white, whichever does."""
    if contrast_ratio(preferred, background) >= TEXT_CONTRAST:
        return preferred
    black, white = QColor("#000000"), QColor("#ffffff")
    on_black, on_white = contrast_ratio(black, background), contrast_ratio(white, background)
    return black if on_black >= on_white else white


def chip_colours(palette: QPalette, fill: str, *, contrast: bool) -> tuple[QColor, QColor]:
    """(background, text) for the lit chip: the state's fill, or the palette's highlight."""
    if contrast:
        return (
            palette.color(QPalette.ColorRole.Highlight),
            palette.color(QPalette.ColorRole.HighlightedText),
        )
    background = QColor(fill)
    return background, readable_text(background, QColor(CHIP_TEXT))


def banner_colours(
    palette: QPalette, severity: str, *, contrast: bool
) -> tuple[QColor, QColor, QColor]:
    """(background, border, text) for a banner: a tint of the accent over the window colour."""
    window = palette.color(QPalette.ColorRole.Window)
    text = palette.color(QPalette.ColorRole.WindowText)
    if contrast:
        return palette.color(QPalette.ColorRole.Base), text, palette.color(QPalette.ColorRole.Text)
    accent = QColor(SEVERITY_ACCENTS.get(severity, SEVERITY_ACCENTS["error"]))
    background = blend(window, accent, 0.28 if is_dark(palette) else 0.16)
    return background, accent, readable_text(background, text)


def error_text_colour(palette: QPalette) -> QColor:
    """Red for a field's error message, readable on the window in this palette."""
    window = palette.color(QPalette.ColorRole.Window)
    for candidate in ERROR_TEXT_CANDIDATES:
        colour = QColor(candidate)
        if contrast_ratio(colour, window) >= TEXT_CONTRAST:
            return colour
    return palette.color(QPalette.ColorRole.WindowText)


def focus_ring_colour(palette: QPalette) -> QColor:
    """The highlight colour if it stands out 3:1 from the window, else the text colour."""
    window = palette.color(QPalette.ColorRole.Window)
    highlight = palette.color(QPalette.ColorRole.Highlight)
    if contrast_ratio(highlight, window) >= FOCUS_CONTRAST:
        return highlight
    return palette.color(QPalette.ColorRole.WindowText)


def css(colour: QColor) -> str:
    """A colour for a style sheet."""
    return str(colour.name(QColor.NameFormat.HexRgb))


def dark_palette() -> QPalette:
    """A dark palette like the platforms' dark schemes (tests and screenshots use it)."""
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#2b2b2b",
        QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#1e1e1e",
        QPalette.ColorRole.AlternateBase: "#333333",
        QPalette.ColorRole.Text: "#e6e6e6",
        QPalette.ColorRole.Button: "#3a3a3a",
        QPalette.ColorRole.ButtonText: "#e6e6e6",
        QPalette.ColorRole.Highlight: "#3d8ee0",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Mid: "#5a5a5a",
        QPalette.ColorRole.PlaceholderText: "#a0a0a0",
        QPalette.ColorRole.ToolTipBase: "#3a3a3a",
        QPalette.ColorRole.ToolTipText: "#e6e6e6",
    }
    for role, colour in roles.items():
        p.setColor(role, QColor(colour))
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#808080"))
    return p
