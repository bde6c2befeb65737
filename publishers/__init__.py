"""Publisher definitions (one YAML entry per dataset) and the source connectors that feed them."""
