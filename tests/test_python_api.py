"""The README's "Python API" examples run as written, and `import hwgen` stays light."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).parents[1] / "README.md"


def api_examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Python API", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def test_the_readme_has_both_examples():
    examples = api_examples()
    assert len(examples) == 2
    assert "hwgen.verify(" in examples[0] and "hwgen.synth(" in examples[0]
    assert "Simulator(" in examples[1] and "hwgen.build(" in examples[1]


@pytest.mark.tools
@pytest.mark.slow
@pytest.mark.parametrize("index", [0, 1], ids=["generate_verify_synth", "embed_in_amaranth"])
def test_readme_example_runs(tmp_path, index):
    script = tmp_path / "example.py"
    script.write_text(api_examples()[index])
    done = subprocess.run([sys.executable, "-W", "error", str(script)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_import_hwgen_loads_no_hardware_libraries():
    code = ("import sys, hwgen; hwgen.MacSpec('e4m3', 'int8'); hwgen.get_format('fp8_e4m3'); "
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('amaranth', 'cocotb', 'pandas')); "
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_unknown_names_are_attribute_errors():
    import hwgen

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        hwgen.nope  # noqa: B018
