"""Demo articles written for feedsvc (idempotent by external_id)."""

from sqlalchemy.orm import Session


def load_demo_articles(session: Session) -> int:
    """Insert the demo articles not yet present; return how many were new."""
    return 0
