"""The OpenAPI schema, run against the live test server by schemathesis: whatever a client sends that the
schema allows (and much that it does not), the API never answers 5xx and answers as the schema says.

The example budget is small for `make test`; for a longer run:
    API_FUZZ_EXAMPLES=200 .venv/bin/pytest tests/test_api_schema.py
"""

import json
import os

import schemathesis
from django.conf import settings
from django.contrib.auth.models import User
from django.test import LiveServerTestCase, override_settings
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from claims.services import create_claim, link_claims
from sources.services import create_source

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "8"))
NO_THROTTLE = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}


@override_settings(REST_FRAMEWORK=NO_THROTTLE)
class ApiSchemaTests(LiveServerTestCase):
    def setUp(self):
        reviewer = User.objects.create_superuser("api-reviewer", password="pw")
        self.headers = {"Authorization": f"Token {Token.objects.create(user=reviewer).key}"}
        one = create_source(title="One", text="The minister called the summit a big step.", url="https://e.org/1")
        two = create_source(title="Two", text="Analysts saw no breakthrough at the summit.", url="https://e.org/2")
        link_claims(
            claim_a=create_claim(source=one, quote="a big step"),
            claim_b=create_claim(source=two, quote="no breakthrough"),
            relation="contradicts",
        )
        # The schema as a client downloads it (through JSON, as it travels).
        self.schema = schemathesis.openapi.from_dict(json.loads(json.dumps(SchemaGenerator().get_schema(public=True))))

    def test_every_operation_answers_without_a_server_error_and_as_documented(self):
        operations = [result.ok() for result in self.schema.get_all_operations()]
        self.assertGreater(len(operations), 20)
        for operation in operations:
            with self.subTest(operation=operation.label):

                @given(case=operation.as_strategy())
                @hypothesis_settings(
                    max_examples=EXAMPLES,
                    deadline=None,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                )
                def call(case):
                    case.call_and_validate(
                        base_url=self.live_server_url,
                        headers=self.headers,
                        checks=[not_a_server_error, content_type_conformance, response_schema_conformance],
                    )

                call()
