"""Customers, plans, products and lifecycles, agreements and quotas, license keys,
entitlement and billable items: the contracts service's REST API as GraphQL."""
