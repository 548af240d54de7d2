"""notify's clients of the other services: contracts (who a recipient is, which customers an
announcement concerns) and tickets (may this caller see this case)."""
