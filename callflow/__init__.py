"""Callflows: routing a call to its flow, running nodes (cf_exe), and the node modules."""
