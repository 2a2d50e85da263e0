"""What the API is: the Kazoo version it matches, its own version (Kazoo's ``about``)."""
