"""Feed routes: /feeds/<country>.rss|.atom|.json, /feeds.opml."""

from flask import Blueprint

bp = Blueprint("feeds", __name__)
