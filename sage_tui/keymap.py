"""Key overrides from ``[keys]``: which bindings exist, what a name means, what the keys now are.

The catalogue is read from the ``BINDINGS`` of sage-tui's own screens, widgets and app (every
``Binding`` with an ``id``), so a binding added anywhere can be remapped without a list here to
keep in step. Overrides go to ``App.set_keymap``; the help screen shows the same effective keys
through ``effective``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual.binding import Binding, BindingType
from textual.dom import DOMNode

from sage_tui.settings import AppSettings, ConfigError, normal_key


def _import_every_screen_and_widget() -> None:
    """The app imports most screens on first use (a faster start), so their bindings exist
    only once their modules are imported: import them all here."""
    import importlib
    import pkgutil

    import sage_tui.app
    import sage_tui.screens
    import sage_tui.widgets

    for package in (sage_tui.screens, sage_tui.widgets):
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{module.name}")


def _sage_classes() -> list[type[DOMNode]]:
    _import_every_screen_and_widget()
    found: list[type[DOMNode]] = []
    pending: list[type[DOMNode]] = [DOMNode]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            pending.append(sub)
            if sub.__module__.startswith("sage_tui.") and "BINDINGS" in vars(sub):
                found.append(sub)
    return sorted(set(found), key=lambda c: (c.__module__, c.__qualname__))


def _own_bindings(cls: type[DOMNode]) -> list[Binding]:
    return [b for b in vars(cls)["BINDINGS"] if isinstance(b, Binding) and b.id]


def binding_catalogue() -> dict[str, Binding]:
    """``{"mail.archive": Binding(...), ...}``: every binding a ``[keys]`` entry can name."""
    return {b.id: b for cls in _sage_classes() for b in _own_bindings(cls) if b.id}


def resolve_keymap(settings: AppSettings) -> dict[str, str]:
    """The ``[keys]`` table as ``{binding id: keys}``, checked against the real bindings.

    Raises:
        ConfigError: an unknown or ambiguous name, or a key that another binding of the same
            screen already uses (Textual would silently take it away from that one).
    """
    if not settings.keys:
        return {}  # nothing to check, and no reason to import every screen
    keymap = settings.keymap(binding_catalogue())
    classes = _sage_classes()
    app_bindings = [b for cls in classes if cls.__name__ == "SageApp" for b in _own_bindings(cls)]
    for cls in classes:
        # Within one class Textual drops the binding that loses a key without a word; the app's
        # keys (quit, help) would be shadowed everywhere. A focused widget's own key winning over
        # its screen's is ordinary Textual precedence, not a clash.
        scope = {b.id: b for b in [*_own_bindings(cls), *app_bindings]}
        now = {bid: set(_keys(keymap.get(bid or "", b.key))) for bid, b in scope.items()}
        for changed in scope.values():
            if changed.id not in keymap:
                continue
            new_keys = now[changed.id] - set(_keys(changed.key))
            for kept in scope.values():
                taken = sorted(new_keys & now[kept.id]) if kept.id != changed.id else []
                if taken:
                    raise ConfigError(
                        f"keys: {taken[0]!r} would be the key of both {changed.id} and "
                        f"{kept.id} ({kept.description or kept.action}); give {kept.id} "
                        "another key too, or choose a free one", settings.path,
                        _line(settings, changed))
    return keymap


def _line(settings: AppSettings, binding: Binding) -> int | None:
    for override in settings.keys:
        if override.name == binding.id or (binding.id or "").endswith(f".{override.name}"):
            return override.line
    return None


def _keys(keys: str) -> list[str]:
    return [normal_key(key.strip()) for key in keys.split(",") if key.strip()]


def effective(bindings: Iterable[BindingType], keymap: Mapping[str, str]) -> list[BindingType]:
    """``bindings`` with the keys the user's overrides gave them (what the help screen shows)."""
    result: list[BindingType] = []
    for binding in bindings:
        if isinstance(binding, Binding) and binding.id in keymap:
            binding = binding.with_key(keymap[binding.id], key_display=None)
        result.append(binding)
    return result
