"""Each built-in connector declares the auth flows its system documents, with the endpoints that follow
from the connection's settings (NetSuite: the account id; Business Central: the Entra tenant)."""

from __future__ import annotations

from connectors.crm.salesforce.connector import SalesforceConnector
from connectors.erp.dynamics.connector import DynamicsConnector
from connectors.erp.netsuite import auth as netsuite
from connectors.erp.netsuite.connector import NetSuiteConnector
from connectors.http.auth import OAuth2ClientCredentials
from connectors.http.oauth1 import OAuth1Auth
from connectors.psa.certinia.connector import CertiniaConnector
from connectors.psa.kantata.connector import KantataConnector


def keys(connector) -> list[str]:
    return [t.key for t in connector.credential_types]


def test_each_system_offers_its_documented_flows():
    assert keys(SalesforceConnector) == [
        "salesforce_web_server",
        "salesforce_jwt_bearer",
        "oauth2_client_credentials",
        "oauth2_refresh_token",
        "bearer",
    ]
    assert keys(CertiniaConnector) == keys(SalesforceConnector)  # the same org, the same flows
    assert keys(KantataConnector) == ["kantata_oauth", "bearer"]  # no client credentials in Kantata
    assert keys(NetSuiteConnector) == [
        "netsuite_client_credentials",
        "netsuite_authorization_code",
        "netsuite_tba",
    ]
    assert keys(DynamicsConnector) == ["entra_client_credentials", "entra_authorization_code"]
    connect = {
        t.key
        for c in (SalesforceConnector, KantataConnector, NetSuiteConnector, DynamicsConnector)
        for t in c.credential_types
        if t.authorization is not None
    }
    assert connect == {
        "salesforce_web_server",
        "kantata_oauth",
        "netsuite_authorization_code",
        "entra_authorization_code",
    }


def test_netsuite_hosts_follow_from_the_account_id():
    ns = NetSuiteConnector()
    config = {"account_id": "1234567_SB1"}
    resolved = {**config, "base_url": ns.base_url(config)}
    assert resolved["base_url"] == "https://1234567-sb1.suitetalk.api.netsuite.com"
    grant = netsuite.AUTHORIZATION_CODE.authorization
    assert grant.token_url({}, resolved) == (
        "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token"
    )
    assert grant.authorize_url({}, resolved) == (
        "https://1234567-sb1.app.netsuite.com/app/login/oauth2/authorize.nl"
    )
    assert grant.scope({"scope": "restlets, rest_webservices"}) == "restlets rest_webservices"
    assert grant.auth_method == "client_secret_basic"
    # A REST base URL given directly (a proxy, the sandbox) keeps every endpoint under it.
    proxied = {"base_url": "http://127.0.0.1:8100/netsuite"}
    assert grant.authorize_url({}, proxied) == "http://127.0.0.1:8100/netsuite/app/login/oauth2/authorize.nl"
    tba = netsuite.TOKEN_BASED.make_auth(
        {"consumer_key": "ck", "consumer_secret": "cs", "token_id": "ti", "token_secret": "ts"},
        config={"base_url": "https://1234567-sb1.suitetalk.api.netsuite.com"},
    )
    assert (
        isinstance(tba, OAuth1Auth) and tba.realm == "1234567_SB1" and tba.signature_method == "HMAC-SHA256"
    )


def test_business_central_uses_entra_with_the_documented_scope():
    cc = DynamicsConnector.credential_types[0].make_auth(
        {"tenant_id": "contoso.onmicrosoft.com", "client_id": "app", "client_secret": "s"}
    )
    assert isinstance(cc, OAuth2ClientCredentials)
    assert cc.token_url == "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
    assert cc.scope == "https://api.businesscentral.dynamics.com/.default"
    delegated = DynamicsConnector.credential_types[1].authorization
    values = {"tenant_id": "contoso.onmicrosoft.com"}
    assert delegated.authorize_url(values, {}).endswith("/contoso.onmicrosoft.com/oauth2/v2.0/authorize")
    assert "offline_access" in delegated.scope(values)


def test_salesforce_and_kantata_consent_endpoints():
    web = SalesforceConnector.credential_types[0].authorization
    assert web.authorize_url({}, {}) == "https://login.salesforce.com/services/oauth2/authorize"
    assert web.token_url({"login_url": "https://test.salesforce.com/"}, {}) == (
        "https://test.salesforce.com/services/oauth2/token"
    )
    assert web.instance_url_field == "instance_url" and web.scope({}) == "api refresh_token"
    kantata = KantataConnector.credential_types[0].authorization
    assert kantata.authorize_url({}, {}) == "https://app.mavenlink.com/oauth/authorize"
    assert kantata.token_url({}, {}) == "https://app.mavenlink.com/oauth/token"
