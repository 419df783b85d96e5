"""The store: SQLite schema, migrations and every query of modemd (the only place with SQL)."""

from modemd.store.billing import BillingStore
from modemd.store.db import Database
from modemd.store.keys import ApiKey, KeyStore
from modemd.store.messages import Message, MessageFilter, MessageStore, NewMessage
from modemd.store.templates import TemplateStore
from modemd.store.users import User, UserStore

__all__ = [
    "ApiKey", "Database", "KeyStore", "Message", "MessageFilter", "MessageStore", "NewMessage",
    "User", "UserStore",
    "BillingStore", "TemplateStore",
]
