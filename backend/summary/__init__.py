"""A self-assessment as a printable PDF, in the teacher's language (the "summary")."""
