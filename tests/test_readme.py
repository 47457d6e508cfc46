"""The README's library example shows what the library really has."""
import re
from pathlib import Path

from gift import list_losses

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_lists_every_registered_loss():
    line = next(line for line in README.read_text().splitlines() if line.startswith("gift.list_losses()"))
    listed = [name.strip() for name in re.sub(r"^.*#", "", line).split(",")]
    assert listed == list_losses()


def test_the_readmes_python_examples_run_as_written():
    """A researcher copies these into a session one after the other; they must run there (the
    second reuses the first one's networks and batch)."""
    import torch

    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 2
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - the project's own README
    assert isinstance(namespace["loss"], torch.Tensor) and namespace["loss"].dim() == 0
    assert namespace["student"].weight.grad is not None  # the first example's backward() reached the student
