"""Long-running processes: ecallmgr (ESL), the changes follower, housekeeping tasks."""
