"""`whodecides ask` answers without loading what only servers need: a cold start pays for every import."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Servers' and builders' libraries (asyncio comes with the conversation core, SQLAlchemy with the stores), and
# numpy.ma, which np.unique loads (~30 ms), and faiss, which a flat index does not need (bot.flat).
NOT_FOR_ASK = (
    "asyncio",
    "numpy.ma",
    "bot.conversation.core",
    "sqlalchemy",
    "alembic",
    "slack_sdk",
    "slack_bolt",
    "torch",
)

PROBE = """
import json, sys
from bot.cli import main
code = main(["ask", "--json", "Who orders the product backlog?"])
print(json.dumps({{"code": code, "loaded": sorted(m for m in sys.modules if m.split(".")[0] in {names}
                   or m in {names})}}))
"""


def test_ask_answers_without_importing_server_libraries(real_index_dir: Path) -> None:
    env = {**os.environ, "WHODECIDES_INDEX": str(real_index_dir), "PYTHONPATH": str(ROOT)}
    probe = PROBE.format(names=set(NOT_FOR_ASK))
    for _ in range(2):  # the first start may fit the router (scikit-learn) and cache it: the second is a cold ask
        cmd = [sys.executable, "-c", probe]
        res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    answer, report = json.loads(lines[0]), json.loads(lines[-1])
    assert answer["recommendation"] == "PO"
    assert report == {"code": 0, "loaded": []}
