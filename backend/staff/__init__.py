"""Organisations' staff: roster parsing and digest texts (pure), and the database work behind
``backend.services.staff`` (organisations, invitations, roster import, weekly digest)."""
