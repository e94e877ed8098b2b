"""The field and liaison client's window (PySide6 over :mod:`shared.field`)."""
