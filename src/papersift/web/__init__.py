"""The web faces of the Library: HTML pages and a JSON API (see `app.create_app`)."""
