"""Find the built editor's entry files in Vite's manifest (static/app/.vite/manifest.json)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from django.conf import settings

ENTRY = "src/main.tsx"


@lru_cache(maxsize=1)
def _manifest(mtime: float) -> dict:
    return json.loads(_manifest_path().read_text())


def _manifest_path() -> Path:
    return Path(settings.BASE_DIR) / "static" / "app" / ".vite" / "manifest.json"


def editor_assets() -> dict[str, list[str]] | None:
    """The entry's JS and CSS under /static/app/, or None when the editor is not built yet."""
    path = _manifest_path()
    if not path.exists():
        return None
    manifest = _manifest(path.stat().st_mtime)
    entry = manifest.get(ENTRY) or next((v for v in manifest.values() if v.get("isEntry")), None)
    if entry is None:
        return None
    prefix = settings.STATIC_URL + "app/"
    return {"js": [prefix + entry["file"]], "css": [prefix + css for css in entry.get("css", [])]}
