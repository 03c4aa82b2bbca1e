#!/usr/bin/env bash
# Adds CXone Voice Desktop to the desktop's application menu, for this user.
#
#   packaging/install-desktop-entry.sh [COMMAND]
#
# COMMAND is what the menu runs: by default `cxone-desktop` on PATH (a pip or
# pipx install); pass the PyInstaller binary's absolute path for a bundle, e.g.
# packaging/install-desktop-entry.sh "$PWD/dist/cxone-desktop/cxone-desktop".
# Installs into ${XDG_DATA_HOME:-~/.local/share}: the .desktop file under
# applications/ and the icon under icons/hicolor/ (SVG plus every PNG size).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COMMAND="${1:-cxone-desktop}"
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
ICONS="$ROOT/resources/icons"

if [[ "$COMMAND" == */* && ! -x "$COMMAND" ]]; then
    echo "not an executable: $COMMAND" >&2
    exit 1
fi
if [[ "$COMMAND" =~ [[:space:]] ]]; then
    COMMAND="\"$COMMAND\""  # Exec= quoting rules of the Desktop Entry spec
fi

mkdir -p "$DATA/applications" "$DATA/icons/hicolor/scalable/apps"
sed -e "s|^Exec=cxone-desktop|Exec=$COMMAND|" -e "s|^TryExec=cxone-desktop$|TryExec=${COMMAND//\"/}|" \
    "$ROOT/packaging/cxone-desktop.desktop" > "$DATA/applications/cxone-desktop.desktop"
cp "$ICONS/cxone-desktop.svg" "$DATA/icons/hicolor/scalable/apps/cxone-desktop.svg"
for png in "$ICONS"/cxone-desktop-*.png; do
    size="${png##*-}"; size="${size%.png}"
    mkdir -p "$DATA/icons/hicolor/${size}x${size}/apps"
    cp "$png" "$DATA/icons/hicolor/${size}x${size}/apps/cxone-desktop.png"
done

# No cache refresh: menus watch applications/, and a per-user icon-theme.cache
# that other installers do not update would hide their icons.
echo "installed $DATA/applications/cxone-desktop.desktop (runs: $COMMAND)"
