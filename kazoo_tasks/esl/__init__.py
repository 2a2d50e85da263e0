"""FreeSWITCH Event Socket: framing, connections, and the FreeSWITCH emulator."""
