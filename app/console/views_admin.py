"""Admin pages: the audit log and the list of users."""
from flask import render_template, request
from sqlalchemy import select

from app.accounts.models import AuditEntry, Role, User
from app.console.auth import roles_required
from app.console.blueprint import bp
from app.extensions import db

PAGE_SIZE = 100


@bp.get("/audit")
@roles_required(Role.ADMIN)
def audit_log():
    """Show every recorded console action, newest first, a page at a time."""
    before = request.args.get("before", type=int)
    statement = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(PAGE_SIZE)
    if before:
        statement = statement.where(AuditEntry.id < before)
    entries = db.session.scalars(statement).all()
    older = entries[-1].id if len(entries) == PAGE_SIZE else None
    return render_template("console/audit.html", entries=entries, older=older)


@bp.get("/users")
@roles_required(Role.ADMIN)
def users():
    """List console users with their roles and sites."""
    return render_template("console/users.html",
                           users=db.session.scalars(select(User).order_by(User.email)).all())
