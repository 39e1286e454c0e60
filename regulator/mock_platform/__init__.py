"""A mock provincial supervision platform for internet medical services (互联网医疗服务监管平台).

Its own process and its own SQLite store; it imports nothing from the hospital. Run it with
`python -m regulator.mock_platform --port 5002` (or `flask --app regulator.mock_platform.server run`).
"""
