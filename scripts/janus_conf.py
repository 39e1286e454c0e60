"""Write a Janus configuration for the expert room into a folder, from scripts/janus/*.jcfg.in.

    python scripts/janus_conf.py DIR --http-port 8088 --admin-port 7088 [--ice lo] [--rtp 20000-20999]

The folder gets the rendered files, plugin/transport folders holding only the VideoRoom plugin and
the HTTP transport (links to Debian's), and `janus.env`: the JANUS_* settings the app reads
(secrets are made once and kept in the folder). A TURN server for real networks comes from
JANUS_TURN_SERVER / JANUS_TURN_PORT / JANUS_TURN_TYPE / JANUS_TURN_USER / JANUS_TURN_PASSWORD.
Used by `make run` (scripts/janus.sh) and by the tests' Janus fixture.
"""

from __future__ import annotations

import argparse
import glob
import os
import secrets
import sys
from pathlib import Path
from string import Template

HERE = Path(__file__).resolve().parent / "janus"
MODULES = {"plugins": ["libjanus_videoroom.so"], "transports": ["libjanus_http.so"], "events": [], "loggers": []}


def janus_lib() -> Path | None:
    """Debian's Janus module folder (multiarch), or None when Janus is not installed."""
    found = sorted(glob.glob("/usr/lib/*/janus/plugins/libjanus_videoroom.so")) + sorted(
        glob.glob("/usr/lib/janus/plugins/libjanus_videoroom.so")
    )
    return Path(found[0]).parent.parent if found else None


def _secrets(folder: Path) -> dict:
    path = folder / "secrets.env"
    if path.exists():
        return dict(line.split("=", 1) for line in path.read_text().split() if "=" in line)
    made = {name: secrets.token_urlsafe(24) for name in ("JANUS_ADMIN_SECRET", "JANUS_ADMIN_KEY", "JANUS_TOKEN_KEY")}
    path.write_text("".join(f"{k}={v}\n" for k, v in made.items()))
    path.chmod(0o600)
    return made


def _turn() -> str:
    server = os.environ.get("JANUS_TURN_SERVER")
    if not server:
        return ""
    lines = {
        "turn_server": server,
        "turn_port": os.environ.get("JANUS_TURN_PORT", "3478"),
        "turn_type": os.environ.get("JANUS_TURN_TYPE", "udp"),
        "turn_user": os.environ.get("JANUS_TURN_USER", ""),
        "turn_pwd": os.environ.get("JANUS_TURN_PASSWORD", ""),
    }
    return "\n".join(f'\t{k} = "{v}"' if k != "turn_port" else f"\t{k} = {v}" for k, v in lines.items())


def write(folder: Path, http_port: int, admin_port: int, ice: str = "lo", rtp: str = "20000-20999") -> dict:
    """Render the configuration into `folder`; the JANUS_* settings for the app."""
    lib = janus_lib()
    if lib is None:
        raise SystemExit("janus is not installed (Debian package janus)")
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    for kind, names in MODULES.items():
        (folder / kind).mkdir(exist_ok=True)
        for name in names:
            link = folder / kind / name
            if not link.exists():
                link.symlink_to(lib / kind / name)
    keys = _secrets(folder)
    values = {
        "JANUS_CONF": str(folder),
        "JANUS_HTTP_PORT": str(http_port),
        "JANUS_HTTP_IP": os.environ.get("JANUS_HTTP_IP", "127.0.0.1"),
        "JANUS_ADMIN_PORT": str(admin_port),
        "JANUS_ICE_ENFORCE": ice,
        "JANUS_RTP_PORTS": rtp,
        "JANUS_NAT_EXTRA": _turn(),
        **keys,
    }
    for template in HERE.glob("*.jcfg.in"):
        (folder / template.name.removesuffix(".in")).write_text(Template(template.read_text()).substitute(values))
    settings = {
        "JANUS_URL": f"http://127.0.0.1:{http_port}/janus",
        "JANUS_ADMIN_URL": f"http://127.0.0.1:{admin_port}/admin",
        **keys,
    }
    (folder / "janus.env").write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
    return settings


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--http-port", type=int, default=8088)
    parser.add_argument("--admin-port", type=int, default=7088)
    parser.add_argument("--ice", default="lo")
    parser.add_argument("--rtp", default="20000-20999")
    args = parser.parse_args(argv)
    for key, value in write(args.folder, args.http_port, args.admin_port, args.ice, args.rtp).items():
        print(f"{key}={value}")


if __name__ == "__main__":
    main(sys.argv[1:])
