from flask import Blueprint

bp = Blueprint("logframe", __name__)
