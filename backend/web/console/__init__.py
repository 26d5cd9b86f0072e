"""The web console at ``/console``: server-rendered pages for staff, curators and admins."""
