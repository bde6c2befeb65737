"""The department's policies: versions reviewed like data, diffed in public, linked to datasets."""
