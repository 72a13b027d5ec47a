"""Dash pages, one file per page."""
