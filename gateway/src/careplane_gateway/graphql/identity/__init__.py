"""Who is calling: the signed-in caller (``me``), as contracts knows it."""
