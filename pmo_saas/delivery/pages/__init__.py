"""The delivery pages: a portfolio's (or value stream's) flow and one initiative's."""

from pmo_saas.delivery.pages import connections, delivery  # noqa: F401
