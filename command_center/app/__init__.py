"""The command-hall window: a thin Qt layer over shared.client."""
