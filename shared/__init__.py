"""The non-GUI core: protocol, store, identity, hub, client, simulation. Never imports Qt."""
