"""Domain services: each public function owns its transaction (commits what it changes)."""
