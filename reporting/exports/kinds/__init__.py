"""The export kinds of CONTRACT §3, in the order the export list shows them."""

from . import contacts, messages, users, opt_outs, link_clicks, datasync  # noqa: F401, I001  (registers each kind)
