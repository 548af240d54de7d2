"""The GraphQL API: one package per domain, merged in ``schema``."""
