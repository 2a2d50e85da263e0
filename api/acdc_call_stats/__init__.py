"""Per-call ACDc stats (Kazoo's acdc_call_stats), read-only."""
