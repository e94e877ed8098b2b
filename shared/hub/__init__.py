"""The situation-data hub: request ROUTER, state PUB, snapshot ROUTER, ZAP, presence."""

from shared.hub.auth import ZAP_DOMAIN
from shared.hub.server import Hub
from shared.hub.state import StateStore, TopicState

__all__ = ["ZAP_DOMAIN", "Hub", "StateStore", "TopicState"]
