"""What the operator allows when starting the app, and the models a visitor may pick from.

    streamlit run app.py -- --allow-models /srv/models [/other/folder ...]
    WHISPER_VIZ_ALLOW_MODELS=/srv/models:/other/folder streamlit run app.py

Without either, the app loads only the installed models by name (tiny.en, base). With them, it also
offers each CTranslate2 folder or openai .pt file in (or being) an allowed folder, by name ("local/…").
A visitor only ever picks a name from that list: no URL parameter or form field is taken as a path, so
nothing a visitor types makes the server look at the filesystem, and an unknown name gets one answer
whatever it is.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from ..weights.registry import INSTALLED_MODELS, local_models

ALLOW_MODELS_ENV = "WHISPER_VIZ_ALLOW_MODELS"
ALLOW_MODELS_FLAG = "--allow-models"


@dataclass(frozen=True)
class ServerOptions:
    allowed_model_folders: tuple[Path, ...] = ()  # folders whose models visitors may pick


def parse_server_options(argv: list[str], environ) -> ServerOptions:
    """ServerOptions from the script's arguments (after `--`; others are ignored) and the environment."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument(ALLOW_MODELS_FLAG, nargs="+", action="extend", default=[])
    known, _ = parser.parse_known_args(argv)
    folders = list(known.allow_models)
    folders += [f for f in environ.get(ALLOW_MODELS_ENV, "").split(os.pathsep) if f.strip()]
    return ServerOptions(tuple(dict.fromkeys(Path(f).expanduser() for f in folders)))


def server_options() -> ServerOptions:
    """This server's options (`streamlit run app.py -- ARGS` puts ARGS in sys.argv[1:])."""
    return parse_server_options(sys.argv[1:], os.environ)


def offered_models(options: ServerOptions) -> dict[str, str]:
    """Name shown to visitors -> what load_model is given: the installed names, then the allowed local models."""
    offered = {name: name for name in INSTALLED_MODELS}
    offered.update({name: str(path) for name, path in local_models(options.allowed_model_folders).items()})
    return offered


def unknown_model_message(offered: dict[str, str], fallback: str) -> str:
    """The one answer for any model name that is not offered (a path that exists or not, a typo): it does
    not depend on the name, so it tells nothing about the server's files."""
    return (f"The link names a model that is not one of this server's models ({', '.join(offered)}); showing "
            f"{fallback}. Local model folders load only when the operator starts the app with "
            f"`{ALLOW_MODELS_FLAG} FOLDER`.")
