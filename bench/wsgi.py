"""The real app plus a bare JSON endpoint, served by the same gunicorn, as the benchmark baseline."""
from flask import jsonify

from app import create_app

app = create_app()


@app.get("/bench/bare")
def bare():
    """Answer with a constant JSON body: the cheapest request this stack can serve."""
    return jsonify(status="ok")
