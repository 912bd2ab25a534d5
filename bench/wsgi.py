"""The real app plus a bare JSON endpoint, served by the same gunicorn, as the benchmark baseline."""
from flask import jsonify, request

from app import create_app
from app.extensions import csrf

app = create_app()


@csrf.exempt
@app.route("/bench/bare", methods=["GET", "POST"])
def bare():
    """Answer with a constant JSON body: the cheapest request this stack can serve."""
    request.get_data()
    return jsonify(status="ok")
