"""Embed routes: widget scripts, iframe pages and the builder."""

from flask import Blueprint

bp = Blueprint("embed", __name__)
