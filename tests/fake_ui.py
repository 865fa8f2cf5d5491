"""A fake of Resolve's window toolkit (`fu.UIManager`, `bmd.UIDispatcher`), as far as our window uses
it: widgets are records, `window.On.ID.Event = handler` registers a handler, and the dispatcher's
RunLoop fires the events a test scripted, in order, instead of waiting for clicks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Widget:
    def __init__(self, kind: str, props: dict[str, Any] | list[Any]) -> None:
        self.kind = kind
        self.props = props if isinstance(props, dict) else {}
        self.children = props if isinstance(props, list) else []
        self.items: list[str] = []
        self.texts: list[str] = []  # every text the window showed here, in order
        self.CurrentIndex = 0
        self.PlainText = ""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "PlainText":
            self.texts.append(value)
        object.__setattr__(self, name, value)

    def AddItem(self, text: str) -> None:  # noqa: N802 (Resolve's names)
        self.items.append(text)


class UIManager:
    def __getattr__(self, kind: str) -> Callable[[Any], Widget]:
        return lambda props: Widget(kind, props)


class _Handlers:
    def __init__(self) -> None:
        self.__dict__["events"] = {}

    def __getattr__(self, widget: str) -> Any:
        events = self.__dict__["events"]

        class Slot:
            def __setattr__(self, event: str, handler: Callable[[Any], None]) -> None:
                events[(widget, event)] = handler

        return Slot()


class Window:
    def __init__(self, props: dict[str, Any], layout: Widget) -> None:
        self.props, self.layout, self.On = props, layout, _Handlers()
        self.shown = False

    def GetItems(self) -> dict[str, Widget]:  # noqa: N802
        found: dict[str, Widget] = {}

        def walk(widget: Widget) -> None:
            if "ID" in widget.props:
                found[widget.props["ID"]] = widget
            for child in widget.children:
                walk(child)

        walk(self.layout)
        self.items = found
        return found

    def Show(self) -> None:  # noqa: N802
        self.shown = True

    def Hide(self) -> None:  # noqa: N802
        self.shown = False


class Dispatcher:
    def __init__(self, script: list[tuple[str, str]]) -> None:
        self.script, self.windows, self.running = script, [], False

    def AddWindow(self, props: dict[str, Any], layout: Widget) -> Window:  # noqa: N802
        window = Window(props, layout)
        self.windows.append(window)
        return window

    def RunLoop(self) -> None:  # noqa: N802
        self.running = True
        for widget, event in self.script:
            if not self.running:
                break
            self.windows[-1].On.events[(widget, event)]({"who": widget})

    def ExitLoop(self) -> None:  # noqa: N802
        self.running = False


class Fusion:
    def __init__(self) -> None:
        self.UIManager = UIManager()


class Bmd:
    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher

    def UIDispatcher(self, ui: UIManager) -> Dispatcher:  # noqa: N802
        return self.dispatcher
