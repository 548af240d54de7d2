"""With Development: a defect handed to development with its tracker reference, and the fix
development reports back (by API or by a signed webhook from the tracker)."""
