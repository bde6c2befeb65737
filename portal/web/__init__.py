"""Blueprints of the web site: public pages, downloads, sign-in and the records office."""
