"""pmo_saas: a multi-tenant SaaS for the Agile PMO."""
