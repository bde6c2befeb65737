"""The public JSON API (`/api/v1/`): the JSON twin of every public page."""
