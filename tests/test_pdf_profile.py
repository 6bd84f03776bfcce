"""The seed profile every soffice of ``pdf.convert`` starts from (docx_report.pdf_profile).

What a seed holds is observed through what LibreOffice does with it: a PDF/A setting planted in
a seed's configuration turns a plain conversion into PDF/A, so a plain PDF with ``pdfaid`` in
its XMP was converted on that seed, and one without was not.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from docx_report import confine, pdf_profile
from docx_report.pdf import SOFFICE_ENV, Conversion, convert, find_soffice
from tests.test_pdf import build_sample_docx, xmp

PDFA_SETTING = ('<item oor:path="/org.openoffice.Office.Common/Filter/PDF/Export">'
                '<prop oor:name="SelectPdfVersion" oor:op="fuse"><value>2</value></prop></item>')


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample_docx(tmp_path_factory.mktemp("src") / "样本.docx")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache of this test's own: no seed yet."""
    monkeypatch.setenv("DOCX_REPORT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "libreoffice-profile"


def the_seed() -> Path:
    soffice = find_soffice()
    seeds = pdf_profile.seeds_folder()
    assert soffice is not None and seeds is not None
    return seeds / pdf_profile.seed_key(soffice)


def replant(seed: Path, tmp: Path, change: Callable[[Path], None]) -> None:
    """Publish the seed again, changed, with a manifest that matches (a valid seed)."""
    profile = tmp / "replant"
    version = pdf_profile.load_seed(seed, profile)
    change(profile)
    pdf_profile.discard_seed(seed)
    pdf_profile.publish_seed(profile, seed.parent, seed.name, version)
    shutil.rmtree(profile)


def plant_pdfa(profile: Path) -> None:
    xcu = profile / "user" / "registrymodifications.xcu"
    xcu.write_text(xcu.read_text("utf-8").replace("</oor:items>", PDFA_SETTING + "</oor:items>"),
                   "utf-8")


def plain(sample: Path, out: Path) -> Path:
    [result] = convert([sample], out, pdfa=False)
    assert result.error == "" and result.pdf is not None
    return result.pdf


@pytest.mark.pdf
def test_seed_is_made_once_without_the_documents_and_then_used(
    sample: Path, cache: Path, tmp_path: Path,
) -> None:
    assert "pdfaid" not in xmp(plain(sample, tmp_path / "first"))
    seed = the_seed()
    assert [p.name for p in cache.iterdir()] == [seed.name]  # nothing half-made left
    manifest = (seed / "manifest.txt").read_text("utf-8")
    assert manifest.splitlines()[1].startswith("version ")
    assert "f " in manifest and "user/registrymodifications.xcu" in manifest
    xcu = (seed / "user" / "registrymodifications.xcu").read_text("utf-8")
    assert '"ooSetupLastVersion" oor:op="fuse"><value>' in xcu  # no graphics self-tests
    for path in seed.rglob("*"):  # it never saw a report
        assert not path.is_file() or b"d0000" not in path.read_bytes(), path
    assert oct(seed.stat().st_mode & 0o777) == "0o700"

    replant(seed, tmp_path, plant_pdfa)
    assert "pdfaid" in xmp(plain(sample, tmp_path / "seeded"))  # converted on the seed


def _change_a_file(profile: Path) -> None:
    (profile / "user" / "extensions" / "buildid").write_text("changed")


def _add_a_file(profile: Path) -> None:
    (profile / "user" / "extra.xcu").write_text("")


def _drop_the_manifest(profile: Path) -> None:
    (profile / "manifest.txt").unlink()


@pytest.mark.pdf
@pytest.mark.parametrize("damage", [_change_a_file, _add_a_file, _drop_the_manifest])
def test_damaged_seed_is_not_used_and_is_built_again(
    sample: Path, cache: Path, tmp_path: Path, damage: Callable[[Path], None],
) -> None:
    plain(sample, tmp_path / "first")
    seed = the_seed()
    replant(seed, tmp_path, plant_pdfa)
    damage(seed)  # after the manifest: the seed no longer matches it
    assert "pdfaid" not in xmp(plain(sample, tmp_path / "damaged"))
    rebuilt = tmp_path / "rebuilt"
    pdf_profile.load_seed(seed, rebuilt)  # a new seed that matches its manifest
    assert PDFA_SETTING not in (rebuilt / "user" / "registrymodifications.xcu").read_text("utf-8")
    assert [p.name for p in cache.iterdir()] == [seed.name]


@pytest.mark.pdf
def test_seed_open_to_other_users_is_not_used(sample: Path, cache: Path, tmp_path: Path) -> None:
    plain(sample, tmp_path / "first")
    seed = the_seed()
    replant(seed, tmp_path, plant_pdfa)
    seed.chmod(0o777)
    assert "pdfaid" not in xmp(plain(sample, tmp_path / "open"))
    assert oct(seed.stat().st_mode & 0o777) == "0o700"  # built again, private


@pytest.mark.pdf
def test_concurrent_first_conversions_each_convert_and_one_seed_stays(
    sample: Path, cache: Path, tmp_path: Path,
) -> None:
    copies = [Path(shutil.copy(sample, tmp_path / f"报告{i}.docx")) for i in range(3)]
    results: dict[int, list[Conversion]] = {}

    def run(i: int) -> None:
        results[i] = convert([copies[i]], tmp_path / f"out{i}", pdfa=False)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.error for i in range(3) for r in results[i]] == ["", "", ""]
    assert [p.name for p in cache.iterdir()] == [the_seed().name]
    pdf_profile.load_seed(the_seed(), tmp_path / "check")


def test_cache_off_keeps_no_seed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCX_REPORT_CACHE", "off")
    assert pdf_profile.seeds_folder() is None


def test_product_version_from_soffice_line() -> None:
    assert pdf_profile.product_version("LibreOffice 7.4.7.2 40(Build:2)") == "7.4"
    assert pdf_profile.product_version("LibreOffice 24.8.4.2 480(Build:2)") == "24.8"
    assert pdf_profile.product_version("无法运行（No such file）") == ""


def test_only_the_newest_seeds_are_kept(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    pdf_profile.new_profile(profile, "7.4")
    seeds = tmp_path / "seeds"
    seeds.mkdir(mode=0o700)
    for i in range(5):
        pdf_profile.publish_seed(profile, seeds, f"key{i}", "7.4")
        os.utime(seeds / f"key{i}", (1000 + i, 1000 + i))
    (seeds / ".new-killed").mkdir()  # a build that was killed an hour ago and more
    os.utime(seeds / ".new-killed", (1000, 1000))
    pdf_profile.publish_seed(profile, seeds, "key5", "7.4")
    assert sorted(p.name for p in seeds.iterdir()) == ["key2", "key3", "key4", "key5"]
    assert pdf_profile.load_seed(seeds / "key5", tmp_path / "copy") == "7.4"
    assert (tmp_path / "copy" / "user" / "registrymodifications.xcu").read_text("utf-8") == \
        (profile / "user" / "registrymodifications.xcu").read_text("utf-8")


# ---- a seed that stops soffice from starting (a stand-in soffice) -----------------------------

FAKE_SOFFICE = """#!{python}
import os, sys
from pathlib import Path
from urllib.parse import unquote, urlparse

args = sys.argv[1:]
if "--version" in args:
    print("LibreOffice 7.4.7.2 40(Build:2)")
    sys.exit(0)
url = next(a for a in args if a.startswith("-env:UserInstallation="))
profile = Path(unquote(urlparse(url.split("=", 1)[1]).path))
out = Path(args[args.index("--outdir") + 1])
xcu = profile / "user" / "registrymodifications.xcu"
named = xcu.exists() and "<value>7.4</value>" in xcu.read_text()
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(profile.name + (":7.4" if named else "") + "\\n")
if (profile / "user" / "poison").exists():
    os.abort()
(profile / "user" / "extensions").mkdir(parents=True, exist_ok=True)
(profile / "user" / "extensions" / "buildid").write_text("fake")
for doc in [a for a in args if a.endswith(".docx")]:
    if not os.path.exists(doc):
        print("Error: source file could not be loaded", flush=True)
        continue
    pdf = out / (Path(doc).stem + ".pdf")
    print(f"convert {{doc}} -> {{pdf}} using filter : fake", flush=True)
    pdf.write_bytes(b"%PDF-1.4\\n%%EOF\\n")
"""


@pytest.fixture
def fake(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A stand-in soffice that logs the profile folder of each run (``:7.4`` when the profile
    names that version as the last one run), and aborts at once when its profile holds
    ``user/poison``."""
    script = tmp_path / "soffice"
    script.write_text(FAKE_SOFFICE.format(python=sys.executable))
    script.chmod(0o755)
    monkeypatch.setenv(SOFFICE_ENV, str(script))
    monkeypatch.setenv("FAKE_LOG", str(tmp_path / "runs.log"))
    monkeypatch.setenv("DOCX_REPORT_NO_CONFINE", "1")  # it runs on this test's Python
    confine._levels.cache_clear()
    yield tmp_path / "runs.log"
    confine._levels.cache_clear()


def test_seed_that_stops_soffice_is_dropped_and_the_report_converts(
    fake: Path, sample: Path, tmp_path: Path,
) -> None:
    def converts() -> list[str]:
        before = fake.read_text().split() if fake.exists() else []
        [result] = convert([sample], tmp_path / "out", timeout=30)
        assert result.error == "" and result.pdf is not None
        return fake.read_text().split()[len(before):]

    assert converts() == ["build:7.4", "profile0:7.4"]  # the seed is built, then used
    seed = the_seed()
    assert converts() == ["profile0:7.4"]
    replant(seed, tmp_path, lambda profile: (profile / "user" / "poison").write_text(""))
    # aborted on the seed; again on an empty profile that names the version
    assert converts() == ["profile0:7.4", "profile1:7.4"]
    assert not os.path.lexists(seed)
    assert converts() == ["build:7.4", "profile0:7.4"]
    assert not (seed / "user" / "poison").exists()


def test_the_cache_folder_is_made_private_whoever_makes_it_first(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCX_REPORT_CACHE", str(tmp_path / "new" / "cache"))
    old = os.umask(0o002)
    try:
        seeds = pdf_profile.seeds_folder()
    finally:
        os.umask(old)
    assert seeds == tmp_path / "new" / "cache" / "libreoffice-profile"
    for folder in (seeds, seeds.parent):
        assert oct(folder.stat().st_mode & 0o777) == "0o700"


def test_a_seed_file_grown_huge_is_refused_without_reading_it(tmp_path: Path) -> None:
    import resource

    seeds = tmp_path / "seeds"
    seeds.mkdir(mode=0o700)
    profile = tmp_path / "profile"
    pdf_profile.new_profile(profile, "7.4")
    pdf_profile.publish_seed(profile, seeds, "k", "7.4")
    assert pdf_profile.load_seed(seeds / "k", tmp_path / "copy") == "7.4"
    with open(seeds / "k" / "user" / "registrymodifications.xcu", "r+b") as fh:
        fh.truncate(8 * 1024**3)  # sparse: 8 GB that cost no disk, and must cost no memory
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ValueError, match="changed"):
        pdf_profile.load_seed(seeds / "k", tmp_path / "copy2")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024  # KB
