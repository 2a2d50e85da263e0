"""HTTP that FreeSWITCH calls, not admins: ``mod_xml_curl`` directory look-ups, the media
files it plays and the recordings it uploads. Mounted under ``/switch`` on the API app,
outside the Crossbar API and its Swagger document, with its own access rules
(:mod:`api.switch.access`). docs/operations.md tells how to point FreeSWITCH at it."""
