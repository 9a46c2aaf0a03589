"""Write the background word statistics of claim similarity (``annotations/domain/matching_background.json``).

``python scripts/build_matching_background.py --data ../shared/data/claim_retrieval_ct20_task2/v3.zip``

Document frequencies of the index terms (``domain.matching.tokenize``) over the CheckThat! 2020 Task 2 verified
claims (10,375 Snopes claims, the claim text only), terms found in at least ``--min-df`` claims. Counts of words,
not the claims themselves: the data set stays outside the repository. ``similarity`` weighs shared words by the
idf from these counts, so its 0–1 scale means the same whatever the size of a desk's reference set.
"""

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotations.domain.matching import tokenize
from annotations.research.eval_matching import load

OUT = Path(__file__).resolve().parents[1] / "annotations" / "domain" / "matching_background.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="v3.zip of CT20 Task 2 (or its unzipped folder)")
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--min-df", type=int, default=2)
    args = parser.parse_args()
    claims = load(args.data, splits=()).claims
    df: Counter[str] = Counter()
    for _, claim, _title in claims:
        df.update(set(tokenize(claim)))
    kept = {term: n for term, n in sorted(df.items()) if n >= args.min_df}
    source = "CheckThat! 2020 Task 2 verified claims (claim text), domain.matching.tokenize"
    Path(args.out).write_text(
        json.dumps(
            {"source": source, "documents": len(claims), "min_df": args.min_df, "df": kept},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        + "\n"
    )
    print(f"{args.out}: {len(claims)} claims, {len(kept)} terms with df >= {args.min_df}")


if __name__ == "__main__":
    main()
