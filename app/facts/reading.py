"""Reading a data file: YAML 1.2 (Norway's `NO` stays a string), validated against its format,
with every problem named where it is (`FactsError`)."""

import re
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class FactsError(Exception):
    """The fact files cannot be loaded; ``problems`` names each fact and quote at fault."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def validation_problems(where: str, exc: ValidationError) -> list[str]:
    return [
        f"{where}: {'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
        for err in exc.errors()
    ]


class _Yaml12Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false. Under YAML 1.1 rules Norway's code ``NO`` (and
    ``yes``, ``on``, ``off``) would load as booleans."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Yaml12Loader)  # noqa: S506
    except FileNotFoundError as exc:
        raise FactsError([f"{path}: file not found"]) from exc
    except yaml.YAMLError as exc:
        raise FactsError([f"{path}: not valid YAML: {exc}"]) from exc


def parse_file(model: type[M], data: Any, where: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise FactsError(validation_problems(where, exc)) from exc
