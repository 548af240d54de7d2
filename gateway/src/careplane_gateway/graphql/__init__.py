"""The GraphQL API over the services' REST APIs: one package per domain (``identity``,
``tickets``, ``contracts``, ``notify``), their root fields merged in ``schema``.

Each domain package has the same shape:

- ``queries.py`` and ``mutations.py``: the domain's root fields (``TicketsQuery``,
  ``TicketsMutation``, ...), merged with the others' by ``merge_types`` in ``schema``. A field
  calls its service through ``info.context.<service>`` (``calls``) and answers types.
- ``types.py``: the domain's central object types, each built from the REST answer it mirrors
  (``from_rest``); those other records point to load themselves by id (``Customer.load``).
  A concern big enough has a module of its own beside it (contracts' ``plans``, tickets'
  ``sla``, notify's ``mail``, ...).
- ``inputs.py``: input types, each turned into the REST body or query it stands for
  (``to_rest``, ``to_params``); ``enums.py``: enums in the service's own spellings.
- ``loaders.py``: the domain's per-request DataLoaders and the lookups built on them, which
  answer rows (``info.context.loaders.<domain>``); never types, so types may use them.

Shared by every domain: ``convert`` (a service's JSON to GraphQL values), ``arguments``
(GraphQL arguments to what a service takes), ``pagination`` (connections), ``calls`` (a
service as the resolvers of one request call it), ``batching`` (the kinds of DataLoader),
``sla_policy`` (the SLA types contracts and tickets share), ``context`` and ``errors``.

Imports run one way: shared modules, then each domain's enums and loaders, its types, its
queries and mutations, then ``schema``. Tickets' and notify's types import contracts' (a case
has a customer); the contracts records that point at a case name ``Ticket`` through
``strawberry.lazy`` (``contracts/cases.py``), so no module imports one that imports it back.
Two tests keep this: one fails on an import cycle in this package, the other on any change to
the schema's SDL (``gateway/tests/schema.graphql``).
"""
