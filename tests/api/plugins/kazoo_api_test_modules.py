"""Two callflow modules that exist only for the API tests, registered through the test
distribution beside this file (``kazoo_api_test_modules-0.0.0.dist-info``) exactly as a
real module package registers its modules: by entry point."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from callflow.module import CallflowModule


class RingData(Schema):
    id = fields.String(required=True, validate=validate.Length(equal=32))
    timeout = fields.Integer(strict=True, load_default=20, validate=validate.Range(min=1))


class SayData(Schema):
    text = fields.String(required=True)


class TestRing(CallflowModule):
    """Rings an endpoint (data: ``id``, ``timeout``)."""

    data_schema = RingData


class TestSay(CallflowModule):
    """Speaks a text (data: ``text``)."""

    data_schema = SayData
