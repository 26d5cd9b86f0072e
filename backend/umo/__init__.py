"""UMOs of Order 400 (2024): Annex 2 as data (training direction -> UMO base university, with
every doubtful row's reading recorded) and the yearly duties of UMO secretaries as reminders."""
