"""refscope's errors. The CLI maps each to a message and a non-zero exit; none carries a secret.

RefscopeError
 ├── SourceError      an input path cannot be found or read
 ├── DatabaseError    the database file cannot be opened (locked, not DuckDB, wrong schema)
 │    └── DatabaseLocked  another process held its write lock for longer than the wait
 ├── LakeError        the Parquet lake cannot be written (a full volume, a folder in the way)
 ├── GraphError       the Graph API refused a pull, or answered what is no insights row
 └── ValidationError  a user-given value breaks a rule (refs, page names, dates)
"""


class RefscopeError(Exception):
    """Base of every error refscope reports to a user."""


class SourceError(RefscopeError):
    """An input path cannot be found or read."""


class DatabaseError(RefscopeError):
    """The database file cannot be opened or used."""


class DatabaseLocked(DatabaseError):
    """Another process held the database file for longer than the wait."""


class ValidationError(RefscopeError):
    """A value given by the user breaks a documented rule."""


class LakeError(RefscopeError):
    """The Parquet lake cannot be written; the database is not affected."""


class GraphError(RefscopeError):
    """The Graph API refused the request (message without the token)."""
