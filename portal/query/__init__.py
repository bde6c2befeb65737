"""The query engine over published tables: its index, filters, sorts, exports and previews."""
