"""Up to the province: incidents and reports turned into CAP alerts in EDXL-DE envelopes,
queued durably per destination and delivered over HTTPS with mutual TLS or to a drop folder."""
