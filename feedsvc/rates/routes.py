"""Rate routes: /rates.csv, /rates.json, /rates/latest.json, /rates/sources.json."""

from flask import Blueprint

bp = Blueprint("rates", __name__)
