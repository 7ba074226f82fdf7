"""The password of the dashboard access tests (the decisions, the login gate in AppTest and the
real server): not ASCII."""

from __future__ import annotations

PASSWORD = "corr3ct-h0rse-Ünïcode"
