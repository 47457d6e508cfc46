"""The README's library example shows what the library really has."""
import re
from pathlib import Path

from gift import list_losses

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_lists_every_registered_loss():
    line = next(line for line in README.read_text().splitlines() if line.startswith("gift.list_losses()"))
    listed = [name.strip() for name in re.sub(r"^.*#", "", line).split(",")]
    assert listed == list_losses()
