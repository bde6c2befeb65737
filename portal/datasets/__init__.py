"""Dataset definitions, labels, freshness and what the public sees of a dataset."""
