"""Shapes of what the requests service accepts (marshmallow, JSON types in and out)."""
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from shared.text import LocalizedText, PlainText
from shared.validation import Code

from .domain import FILED_BY, LIFECYCLE, MAX_DESCRIPTION


class Strict(Schema):
    class Meta:
        unknown = RAISE


class ServiceSchema(Strict):
    """A catalogue entry: ``PUT /municipalities/{mid}/services/{code}``."""
    name = LocalizedText(required=True, max_length=200)
    description = LocalizedText(allow_none=True, load_default=None, max_length=2000)
    group = PlainText(load_default="", max_length=100)
    keywords = fields.List(PlainText(max_length=60), load_default=list, validate=validate.Length(max=30))
    target_days = fields.Integer(required=True, strict=True, validate=validate.Range(1, 365))
    responsible_unit = PlainText(load_default="", max_length=200)
    public = fields.Boolean(load_default=False)


class Url(PlainText):
    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if value and not value.lower().startswith(("https://", "http://")):
            raise ValidationError("A media_url is an http(s) address.")
        return value


class RequestSchema(Strict):
    """A new request, in GeoReport v2's names (form fields arrive as strings)."""
    service_code = Code(required=True)
    description = PlainText(load_default="", max_length=MAX_DESCRIPTION)
    lat = fields.Float(allow_none=True, load_default=None, allow_nan=False)
    long = fields.Float(allow_none=True, load_default=None, allow_nan=False)
    address_string = PlainText(load_default="", max_length=500, data_key="address_string", attribute="address")
    address_id = PlainText(load_default="", max_length=100)
    zipcode = PlainText(load_default="", max_length=20)
    neighbourhood = PlainText(load_default="", max_length=200)
    media_url = Url(load_default="", max_length=2000)
    first_name = PlainText(load_default="", max_length=100)
    last_name = PlainText(load_default="", max_length=100)
    email = PlainText(load_default="", max_length=254, validate=validate.Regexp(r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$",
                                                                               error="Not an e-mail address."))
    phone = PlainText(load_default="", max_length=40)
    device_id = PlainText(load_default="", max_length=100)
    account_id = PlainText(load_default="", max_length=100)
    filed_by = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(FILED_BY))


class ImportedRequestSchema(RequestSchema):
    """A request kept elsewhere first (a muhtarlık's book, a district's spreadsheet) with its times."""
    id = PlainText(required=True, max_length=100, validate=validate.Length(min=1))
    requested_datetime = fields.AwareDateTime(required=True, format="iso")
    status = fields.String(load_default="open", validate=validate.OneOf(LIFECYCLE))
    closed_datetime = fields.AwareDateTime(allow_none=True, load_default=None, format="iso")
    status_notes = PlainText(load_default="", max_length=2000)
    agency_responsible = PlainText(load_default="", max_length=200)

    @validates_schema
    def closed_when_closed(self, data, **kwargs):
        if (data["status"] == "closed") != (data["closed_datetime"] is not None):
            raise ValidationError("A closed request has a closed_datetime; an open one has none.", "closed_datetime")
        if data["closed_datetime"] is not None and data["closed_datetime"] < data["requested_datetime"]:
            raise ValidationError("A request closes after it was received.", "closed_datetime")


class ImportSchema(Strict):
    requests = fields.List(fields.Nested(ImportedRequestSchema), required=True,
                           validate=validate.Length(min=1, max=5000))


class StatusChangeSchema(Strict):
    """``PATCH /requests/{id}``: the next step, a note, the unit that answers."""
    status = fields.String(load_default=None, allow_none=True)
    status_notes = PlainText(load_default=None, allow_none=True, max_length=2000)
    agency_responsible = PlainText(load_default=None, allow_none=True, max_length=200)

    @validates_schema
    def something(self, data, **kwargs):
        if all(v is None for v in data.values()):
            raise ValidationError("Send a status, status_notes or agency_responsible.", "status")


class QualitySchema(Strict):
    period = fields.String(required=True)
    municipality = fields.String(allow_none=True, load_default=None)
