"""The workspace's side of supporters' rights: finding a supporter, their export, erasure.
May import: domain/, models, web/admin's guard, forms and rendering; never db/."""
