"""Speed, measured: the authors'-style reference loop (:mod:`~gift.perf.reference`), many students
per step (:mod:`~gift.perf.multi`) and ``gift bench`` (:mod:`~gift.perf.bench`).

Built on :mod:`gift.train`; nothing on the book's path (:mod:`gift.train`, :mod:`gift.companion`,
the chapters) imports it.
"""
