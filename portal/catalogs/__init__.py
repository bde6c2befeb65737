"""Open-data catalogue formats of the published datasets: DCAT-US data.json, Atom, schema.org."""
