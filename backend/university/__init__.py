"""University teaching staff (Order 616 amending the professional standard of Order 591): the
amended items of profession cards 3-5 as data (``cards``) and self-checks against them
(``service``, which owns its transactions)."""
