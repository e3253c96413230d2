"""Accessibility in the browser tests: axe-core's WCAG 2.1 A and AA rules, and keyboard walks.

`Audit` runs axe-core (the copy inside axe-playwright-python's wheel) on the page as it
is now, whole page or after an htmx swap, and keeps every violation with where it was
found; a test audits all the pages and states of a role and then fails once, listing
every violation. `tab_to` moves the focus with the Tab key alone, as a keyboard user
does, and checks that the focus can be seen where it lands.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page

# WCAG 2.1 level A and AA. Two of its rules are still marked experimental in axe-core and
# are off unless asked for: 2.5.3 label in name, and 1.3.4 orientation.
WCAG_21_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "rules": {
        "label-content-name-mismatch": {"enabled": True},
        "css-orientation-lock": {"enabled": True},
    },
    "resultTypes": ["violations"],
}


@dataclass
class Audit:
    """Every page and state audited in one test, and what axe-core found on them."""

    role: str
    states: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    axe: Axe = field(default_factory=Axe)

    def __call__(self, page: Page, state: str) -> None:
        """Audit the page as it is now; `state` names it in the report."""
        page.wait_for_load_state("load")
        # Colours read mid-transition (the admin's links fade over 0.15 s when the colour
        # scheme changes) are neither the old nor the new: wait for them to settle.
        page.wait_for_function(
            "() => document.getAnimations().every(a => a.playState !== 'running')"
        )
        result = self.axe.run(page, options=WCAG_21_AA).response
        self.states.append(state)
        for violation in result["violations"]:
            for node in violation["nodes"]:
                self.violations.append(
                    f"{self.role}, {state} ({page.url}): {violation['id']} "
                    f"[{violation['impact']}] {', '.join(map(str, node['target']))}: "
                    f"{node.get('failureSummary', '').splitlines()[-1].strip()} "
                    f"{node['html'][:160]}"
                )

    def assert_clean(self, at_least: int) -> None:
        assert len(self.states) >= at_least, f"only {len(self.states)} states audited"
        print(f"\n{self.role}: {len(self.states)} pages and states audited with axe-core")
        assert not self.violations, "WCAG 2.1 AA violations:\n" + "\n".join(self.violations)


def _focused(locator: Locator) -> bool:
    return locator.evaluate("element => element === document.activeElement")


def focus_is_visible(locator: Locator) -> bool:
    """Whether the focused element shows that it has the focus (WCAG 2.4.7)."""
    return locator.evaluate(
        """element => {
          const style = getComputedStyle(element);
          const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
          return outline || style.boxShadow !== "none";
        }"""
    )


def tab_to(page: Page, target: Locator, *, limit: int = 120, backwards: bool = False) -> int:
    """Press Tab (or Shift+Tab) until `target` has the focus; return how many presses it took
    (none when the page put the focus there itself).

    Fails if it never gets there, naming where the focus went, or if the focus cannot be
    seen once there."""
    key = "Shift+Tab" if backwards else "Tab"
    if _focused(target):  # put there by the page (autofocus)
        assert focus_is_visible(target), f"the focus on {target} cannot be seen"
        return 0
    visited = []
    for presses in range(1, limit + 1):
        page.keyboard.press(key)
        if _focused(target):
            assert focus_is_visible(target), f"the focus on {target} cannot be seen"
            return presses
        visited.append(
            page.evaluate(
                "() => { const e = document.activeElement;"
                " return e ? `${e.tagName} ${(e.innerText || e.value || e.name || '').slice(0, 30)}` : ''; }"
            )
        )
    raise AssertionError(f"{limit} presses of {key} never reached {target}: {visited[-15:]}")
