"""``feedsvc articles import|export``: NDJSON in the API's schema."""

import click

articles_group = click.Group("articles", help="Import and export articles as NDJSON.")
