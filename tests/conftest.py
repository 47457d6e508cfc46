"""Test-wide settings. Tests never download data: ``GIFT_DOWNLOAD=0`` overrides the on-Colab default
of gift.data.download (kernels started by nbval and papermill inherit it)."""
import os

os.environ["GIFT_DOWNLOAD"] = "0"
