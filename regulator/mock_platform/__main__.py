"""`python -m regulator.mock_platform [--host 127.0.0.1] [--port 5002]`: serve the mock platform."""

from __future__ import annotations

import argparse
import os

from werkzeug.serving import run_simple

from regulator.mock_platform.server import create_app


def main() -> None:
    parser = argparse.ArgumentParser(description="The mock provincial supervision platform.")
    parser.add_argument("--host", default=os.environ.get("REGULATOR_MOCK_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("REGULATOR_MOCK_PORT", "5002")))
    args = parser.parse_args()
    print(f"Mock supervision platform on http://{args.host}:{args.port}", flush=True)
    run_simple(args.host, args.port, create_app(), threaded=True)


if __name__ == "__main__":
    main()
