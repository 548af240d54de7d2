"""Cases, their conversation and history, SLA clocks, the triage queue, the SLA simulator and
the attainment report: the tickets service's REST API as GraphQL. Tickets judges every call
itself (roles, tenancy): a contact sees its own customer's cases only."""
