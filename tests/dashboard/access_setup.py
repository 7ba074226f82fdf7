"""The password of the dashboard access tests (the decisions, the login gate in AppTest and the
real server): not ASCII; and the provider keys their OIDC secrets hold."""

from __future__ import annotations

PASSWORD = "corr3ct-h0rse-Ünïcode"
# What st.login needs of a provider beside [auth]'s redirect_uri and cookie_secret (no client_id,
# which each test names), as a secrets table holds it.
PROVIDER = {
    "client_secret": "s",
    "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
}
