"""`manage.py collectstatic_if_changed`, which `make run` and the benchmarks call: collects once,
then not again until a static file changes, and leaves source maps uncompressed."""

import os
from io import StringIO

import pytest
from django.core.management import call_command

MANIFEST_STORAGE = {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}


@pytest.fixture
def static(settings, tmp_path):
    """A project with one stylesheet of its own as its only static file."""
    source, root = tmp_path / "static", tmp_path / "collected"
    source.mkdir()
    (source / "site.css").write_text("body { color: #222; }\n")
    settings.STATICFILES_DIRS = [source]
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STATIC_ROOT = root
    settings.STORAGES = {**settings.STORAGES, "staticfiles": MANIFEST_STORAGE}
    return source, root


def collect():
    out = StringIO()
    call_command("collectstatic_if_changed", stdout=out)
    return out.getvalue()


def hashed(root, name):
    stem, suffix = name.rsplit(".", 1)
    return sorted(path.name for path in root.glob(f"{stem}.*.{suffix}"))


def test_collects_once_then_not_again_until_a_file_changes(static):
    source, root = static
    assert "1 static file copied" in collect()
    [first] = hashed(root, "site.css")

    (root / first).unlink()  # a second collection would write it again
    assert collect().strip() == "Static files unchanged since they were collected."
    assert hashed(root, "site.css") == []

    (source / "site.css").write_text("body { color: #111; margin: 0; }\n")
    assert "1 static file copied" in collect()
    [second] = hashed(root, "site.css")
    assert second != first


def test_a_file_replaced_by_an_older_one_of_the_same_size_is_collected_again(static):
    """As a package upgrade can do: pip keeps the times the files had in the wheel."""
    source, root = static
    collect()
    [first] = hashed(root, "site.css")
    stylesheet = source / "site.css"
    stylesheet.write_text("body { color: #333; }\n")  # the same length
    os.utime(stylesheet, (1_000_000_000, 1_000_000_000))  # 2001
    assert "1 static file copied" in collect()
    [second] = hashed(root, "site.css")
    assert second != first and (root / second).read_text() == "body { color: #333; }\n"


def test_a_removed_manifest_is_collected_again(static):
    _, root = static
    collect()
    (root / "staticfiles.json").unlink()
    assert "post-processed" in collect()
    assert (root / "staticfiles.json").exists()


def test_scripts_are_compressed_and_their_source_maps_are_not(settings, static):
    source, root = static
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    (source / "app.js").write_text("console.log('calm');\n" * 200)
    (source / "app.js.map").write_text('{"version":3,"mappings":"AAAA"}' * 200)
    collect()
    assert (root / "app.js.gz").exists()
    assert not (root / "app.js.map.gz").exists() and not (root / "app.js.map.br").exists()
    assert (root / "app.js.map").exists()


def test_a_change_to_how_files_are_stored_collects_again(settings, static):
    _, root = static
    collect()
    settings.WHITENOISE_SKIP_COMPRESS_EXTENSIONS = ("css",)
    assert "post-processed" in collect()
    settings.STATIC_URL = "/assets/"
    assert "post-processed" in collect()
    assert collect().strip() == "Static files unchanged since they were collected."
