"""gift: runnable companion to "GIFT: Unlocking Full Potential of Labels in Distilled Dataset at
Near-zero Cost" (Shang, Sun, Lin; ICLR 2025).

    from gift import gift_loss
    loss = gift_loss(student(x), teacher(x).detach(), y)   # drop-in for any training loop
"""
from .version import __version__  # noqa: E402
from .losses import get_loss, gift_loss, list_losses, refine_labels, smooth_labels  # noqa: E402
from .models import get_model, list_models  # noqa: E402
from .protocol import EvalConfig, list_optimizers  # noqa: E402
from .evaluation import EvalResult, evaluate  # noqa: E402
from .results import ResultsStore  # noqa: E402

__all__ = [
    "__version__",
    "EvalConfig",
    "EvalResult",
    "ResultsStore",
    "evaluate",
    "get_loss",
    "get_model",
    "gift_loss",
    "list_losses",
    "list_models",
    "list_optimizers",
    "refine_labels",
    "smooth_labels",
]

import os as _os  # noqa: E402

if _os.environ.get("GIFT_DRY_RUN"):  # toy-size copies of profiles for notebook kernels (gift.companion.dryrun)
    from .companion.dryrun import activate_from_env as _activate_dry_runs

    _activate_dry_runs()
