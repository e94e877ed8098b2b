"""Headless simulation of field units moving around Hengshui."""

from shared.sim.runner import SimSummary, run_sim
from shared.sim.tracks import SimUnit, make_units

__all__ = ["SimSummary", "SimUnit", "make_units", "run_sim"]
