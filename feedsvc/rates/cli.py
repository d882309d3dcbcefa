"""``feedsvc rates update|backfill``."""

import click

rates_group = click.Group("rates", help="Exchange-rate updates and backfills.")
