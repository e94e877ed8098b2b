"""Geography helpers (no Qt): Hengshui places."""

from shared.geo.places import Place, city_centre, county_seats

__all__ = ["Place", "city_centre", "county_seats"]
