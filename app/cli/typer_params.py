"""typer's coercion of ``str``, ``Path`` and ``bool`` parameters, without pydantic.

typer 0.29 coerces every parameter's value through a pydantic ``TypeAdapter`` built when the
command line is parsed (`typer._coercion.build_runtime_param`), and a ``Path`` once more
through a ``TypeAdapter(Path)`` (`typer._param_types.coerce_cli_path`): importing pydantic
and building them was ~0.1 s of CPU in the start-up of every ``mare`` command (`mare decode`
of an empty capture: 0.30-0.32 s in all), the largest part of it for the batch commands,
which take only paths, strings and flags.

`install` puts a coercion in front of typer's for parameters annotated ``str``, ``Path``,
``bool`` or a list of one of them, with no custom parser: a value of the annotated type
(``bool``, ``str``) or a string for a ``Path`` (made a ``Path`` as pydantic makes it, then
checked by typer's own `coerce_cli_path`: ``exists``, ``dir_okay``, ...) is coerced here;
any other value, and every other parameter, goes to typer's coercion as before, so what a
command receives and every error message are typer's. Without typer's private modules
(another typer version) nothing is installed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args, get_origin

_NOT_MINE = object()


def install() -> None:
    """Coerce simple parameters without pydantic (module docstring); idempotent."""
    try:
        from typer import core
        from typer._coercion import RuntimeParam, TypeDescriptor
        from typer._param_types import coerce_cli_path
    except ImportError:  # another typer: its coercion, as it is
        return
    found = getattr(core, "build_runtime_param", None)
    if found is None or getattr(found, "_mare_light", False):
        return
    typer_build: Callable[[Any], Any] = found

    @dataclass(frozen=True)
    class LightParam(RuntimeParam):
        descriptor: TypeDescriptor
        item: type
        many: bool
        _typer: list[RuntimeParam] = field(default_factory=list, compare=False)

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            if self.many and isinstance(value, (list, tuple)):
                items = [self._one(v, param, ctx) for v in value]
                if not any(v is _NOT_MINE for v in items):
                    return items
            elif not self.many:
                one = self._one(value, param, ctx)
                if one is not _NOT_MINE:
                    return one
            if not self._typer:  # built once, only for a value it must coerce
                self._typer.append(typer_build(self.descriptor))
            return self._typer[0]._coerce_value(value, param=param, ctx=ctx)

        def _one(self, value: Any, param: Any, ctx: Any) -> Any:
            if self.item is bool or self.item is str:
                return value if type(value) is self.item else _NOT_MINE
            path = Path(value) if type(value) is str else value  # as pydantic makes it
            if not isinstance(path, Path):
                return _NOT_MINE
            return coerce_cli_path(path, self.parameter_info, path_type=Path, param=param, ctx=ctx)

    def build(descriptor: Any) -> Any:
        annotation = descriptor.annotation
        info = descriptor.parameter_info
        many = get_origin(annotation) is list
        item = get_args(annotation)[0] if many else annotation
        simple = item in (str, bool) or (item is Path and info.path_type is None)
        if descriptor.file_annotation is not None or info.parser is not None or not simple:
            return typer_build(descriptor)
        try:
            return LightParam(
                parameter_info=info,
                annotation=annotation,
                descriptor=descriptor,
                item=item,
                many=many,
            )
        except (TypeError, AttributeError):  # a typer whose private classes changed: its own
            return typer_build(descriptor)

    build._mare_light = True  # type: ignore[attr-defined]
    build.typer_build = typer_build  # type: ignore[attr-defined]  # tests compare the two
    setattr(core, "build_runtime_param", build)  # noqa: B010 - not in typer.core's exports
