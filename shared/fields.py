"""Field types of Ortak's stored documents that mongoengine lacks."""
import mongoengine


class _Plain:
    """A field of JSON's values, stored and read as they are. mongoengine converts every nested
    value of a dict or list field on each write and read, and walks it for references to other
    documents when it is first read: seconds for a plan's snapshot of thousands of indicators, or
    an outbox holding it. Ortak stores no references, and never changes such a value in place (it
    is replaced)."""

    def to_python(self, value):
        return value

    def to_mongo(self, value, use_db_field=True, fields=None):
        return value

    @property
    def _auto_dereference(self):
        return False


class PlainDict(_Plain, mongoengine.DictField):
    pass


class PlainList(_Plain, mongoengine.ListField):
    pass
