"""The field and liaison client's core: session, order book, report templates, SOS and
man-down (no Qt; the window and the headless commands both drive it)."""

from shared.field.orders import ANSWERS, OrderBook
from shared.field.session import FieldError, FieldSession, SyncStatus
from shared.field.sos import ManDownWatch, SosController
from shared.field.templates import FormProblem, Template, Templates, check_form, load_templates

__all__ = [
    "ANSWERS",
    "FieldError",
    "FieldSession",
    "FormProblem",
    "ManDownWatch",
    "OrderBook",
    "SosController",
    "SyncStatus",
    "Template",
    "Templates",
    "check_form",
    "load_templates",
]
