"""``python -m gift`` (also what ``torchrun --nproc_per_node N -m gift eval ...`` runs)."""
import sys

from .cli import main

sys.exit(main())
