"""Groups of users and devices, rung by ring groups."""
