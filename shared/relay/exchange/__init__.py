"""Exchange bundles, both ways: an incident's whole record signed into a folder for a
department or another platform without a network link (a data ferry), and read back in."""
