"""Reading a local MBTiles file (SQLite: ``metadata`` and ``tiles``), read-only.

A file that is not SQLite, lacks the tables, or holds vector tiles is refused when it is
opened, with the reason, so the window can say what is wrong and fall back to the built-in
basemap instead of showing grey squares.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from command_center.map.page import MbtilesLayer


class MbtilesError(Exception):
    """The file cannot serve tiles; the message says why and what to do."""


class Mbtiles:
    """Tiles from ``path`` by XYZ address (the file stores TMS rows)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.is_file():
            raise MbtilesError(f"MBTiles file {path} does not exist; check map.mbtiles")
        try:
            self._db = sqlite3.connect(
                f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False
            )
            # text that is not UTF-8 (found by ./run fuzz mbtiles) is read, not raised
            self._db.text_factory = lambda raw: raw.decode("utf-8", "replace")
            meta = dict(self._db.execute("SELECT name, value FROM metadata").fetchall())
            zooms = self._db.execute(
                "SELECT min(zoom_level), max(zoom_level) FROM tiles"
            ).fetchone()
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:  # a damaged file's names
            raise MbtilesError(
                f"{path} is not a usable MBTiles file ({exc}); re-export it, or remove "
                "map.mbtiles to use the built-in basemap"
            ) from None
        fmt = str(meta.get("format", "png")).lower()
        if fmt not in ("png", "jpg", "jpeg", "webp"):
            raise MbtilesError(f"{path} holds {fmt} tiles; only raster (png, jpg, webp) is drawn")
        if zooms is None or zooms[0] is None:
            raise MbtilesError(f"{path} holds no tiles")
        bounds = None
        if "bounds" in meta:
            try:
                w, s, e, n = (float(v) for v in str(meta["bounds"]).split(","))
                bounds = (w, s, e, n)
            except ValueError:
                bounds = None
        try:
            self.layer = MbtilesLayer(
                str(meta.get("name", path.stem)), int(zooms[0]), int(zooms[1]), fmt, bounds
            )
        except (TypeError, ValueError, OverflowError):
            raise MbtilesError(
                f"{path} has zoom levels that are not numbers; re-export it"
            ) from None
        self.media_type = {"jpg": "image/jpeg", "jpeg": "image/jpeg"}.get(fmt, f"image/{fmt}")
        self._lock = threading.Lock()

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The tile at XYZ ``z/x/y``, or None where the file has none."""
        row = (1 << z) - 1 - y
        with self._lock:
            found = self._db.execute(
                "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
                (z, x, row),
            ).fetchone()
        return bytes(found[0]) if found else None

    def close(self) -> None:
        """Close the file."""
        self._db.close()
