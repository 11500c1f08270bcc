"""Programmes (a PgMO view): initiatives grouped into programmes, with their roll-up."""
