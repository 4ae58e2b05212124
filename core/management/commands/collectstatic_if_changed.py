"""collectstatic, skipped when the static files are the ones collected last time.

Collecting hashes and compresses every file again on each run (tens of seconds on our machines),
which `make run` and the benchmarks would otherwise pay on every start for the same files. The
files are compared by name, size and modification time, so a package upgraded since (whose
files may carry older times than the last collection) is collected again."""

import hashlib
from importlib.metadata import version
from pathlib import Path

import django
from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import BaseCommand, call_command

STAMP = "collected.sha256"  # beside the manifest, in STATIC_ROOT


def static_fingerprint():
    """A digest of every static file the finders find (its name, size and time) and of how they
    are stored (the storage, its settings, Django's and WhiteNoise's versions)."""
    how = [settings.STORAGES["staticfiles"], settings.STATIC_URL, django.__version__, version("whitenoise")]
    how += [(name, getattr(settings, name)) for name in sorted(dir(settings)) if name.startswith("WHITENOISE_")]
    digest = hashlib.sha256(repr(how).encode())
    seen = set()
    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            prefix = getattr(storage, "prefix", None) or ""
            name = f"{prefix}/{path}" if prefix else path
            if name in seen:  # the first finder's file wins, as collectstatic takes it
                continue
            seen.add(name)
            stat = Path(storage.path(path)).stat()
            digest.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def static_up_to_date(fingerprint):
    """True when STATIC_ROOT holds a whole collection of the files with this fingerprint."""
    root = Path(settings.STATIC_ROOT)
    manifest = getattr(staticfiles_storage, "manifest_name", None)
    if manifest and not (root / manifest).exists():
        return False
    stamp = root / STAMP
    return stamp.exists() and stamp.read_text() == fingerprint


class Command(BaseCommand):
    help = "Collect the static files unless STATIC_ROOT has them already, unchanged."

    def handle(self, *args, **options):
        fingerprint = static_fingerprint()  # of the files about to be collected, if they must be
        if static_up_to_date(fingerprint):
            if options["verbosity"]:
                self.stdout.write("Static files unchanged since they were collected.")
            return
        call_command(
            "collectstatic",
            interactive=False,
            clear=True,  # collectstatic alone skips a file older than its last copy
            verbosity=options["verbosity"],
            stdout=self.stdout,
            stderr=self.stderr,
        )
        (Path(settings.STATIC_ROOT) / STAMP).write_text(fingerprint)
