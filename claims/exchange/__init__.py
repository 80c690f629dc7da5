"""The claims CSV and JSON-LD: columns, reading, importing, the admin buttons and the commands' shared parts."""
