"""Document storage: one interface, a CouchDB back end and an embedded back end.

Code that needs documents asks :func:`kazoo_tasks.services.document_store` for a
:class:`~kazoo_tasks.docstore.base.DocumentStore`; it never knows which back end it got.
"""

from kazoo_tasks.docstore.base import (
    Attachment,
    Change,
    ChangesPage,
    Conflict,
    DatabaseNotFound,
    DbUpdate,
    DbUpdatesPage,
    DocumentStore,
    DocumentStoreError,
    InvalidRequest,
    NotFound,
    Unavailable,
)
from kazoo_tasks.docstore.naming import (
    ACCOUNTS_DB,
    NUMBERS_DB,
    account_db,
    account_id_from_db,
    check_db_name,
)

__all__ = [
    "ACCOUNTS_DB",
    "NUMBERS_DB",
    "Attachment",
    "Change",
    "ChangesPage",
    "Conflict",
    "DatabaseNotFound",
    "DbUpdate",
    "DbUpdatesPage",
    "DocumentStore",
    "DocumentStoreError",
    "InvalidRequest",
    "NotFound",
    "Unavailable",
    "account_db",
    "account_id_from_db",
    "check_db_name",
]
