"""In from outside: warnings (CAP from the meteorological and earthquake services, through a
gateway) and the department platforms' intake (HTTPS, their answers and resource changes)."""
