"""The dorsi app: the Dash dashboard, the live feed, the session store and the `dorsi` CLI."""
