"""The kernel: tenant context, domain errors, clock. Imports no Reflex and no outside SDK."""
