"""Offline research code for factcheck: training the check-worthiness model, and the loaders and metrics of the
benchmarks (``manage.py train_checkworthiness`` and ``bench_nlp``).

Pure Python like :mod:`annotations.domain` — nothing here imports Django — but never on the request path:
the serving code (``annotations.domain``, views, tasks) must not import this package. Training needs
scikit-learn, which is imported only while training (inside ``checkworthiness_training._fit_sklearn``).
"""
