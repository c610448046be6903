"""Build the lab stand-in of the Mobility service's Linux installer tarball.

`build_installer(settings, version)` renders the templates of payload/ into
`<state_dir>/mobility/Microsoft-ASR_UA_<version>_UBUNTU-22.04-64_GA_<date>_release.tar.gz`,
named and laid out like the real packages (extract, then `./install ...`). The build is
deterministic: the same version and lab CA give the same bytes (fixed order, owners and times).

`version` is the public four-part version MAJOR.MINOR.BUILD.PATCH of the real packages (e.g.
9.66.7567.1). As in the real agent, the release date in the name is 1 Jan 2005 + BUILD days, and
the package's .vx_version keeps VERSION=MAJOR.MINOR.0.PATCH with BUILD inside BUILD_TAG.
"""
import datetime
import gzip
import io
import os
import re
import tarfile

from drlab import ca

PAYLOAD_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "payload")
OS_BUILT_FOR = "UBUNTU-22.04-64"
LAB_VERSIONS = ("9.62.0.0", "9.63.0.0")
BUILD_EPOCH = datetime.date(2005, 1, 1)
PYTHON_SHEBANG = "#!/usr/bin/env python3\n"

# (template under payload/, path in the tarball, mode). The .py template becomes AzureRcmCli.
MANIFEST = (
    ("install", "install", 0o755),
    ("uninstall.sh", "uninstall.sh", 0o755),
    ("vx_version.in", ".vx_version", 0o644),
    ("LAB-STANDIN.txt", "LAB-STANDIN.txt", 0o644),
    ("Vx/bin/UnifiedAgentConfigurator.sh", "Vx/bin/UnifiedAgentConfigurator.sh", 0o755),
    ("Vx/bin/azure_rcm_cli.py", "Vx/bin/AzureRcmCli", 0o755),
    ("Vx/bin/libcommon.sh", "Vx/bin/libcommon.sh", 0o755),
    ("Vx/bin/vxagent", "Vx/bin/vxagent", 0o755),
    ("Vx/etc/drscout.conf", "Vx/etc/drscout.conf", 0o644),
)
_TOKEN = re.compile(r"@([A-Z_]+)@")


class BuildError(ValueError):
    pass


def parse_version(version):
    """(major, minor, build, patch) of a version string like 9.63.0.0."""
    parts = str(version).split(".")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        raise BuildError("version must be MAJOR.MINOR.BUILD.PATCH (digits), not %r" % (version,))
    return tuple(int(p) for p in parts)


def release_date(version):
    return BUILD_EPOCH + datetime.timedelta(days=parse_version(version)[2])


def tarball_name(version):
    return "Microsoft-ASR_UA_%s_%s_GA_%s_release.tar.gz" % (
        version, OS_BUILT_FOR, release_date(version).strftime("%d%b%Y"))


def tokens(version):
    major, minor, build, patch = parse_version(version)
    date = release_date(version)
    vx_version = "%d.%d.0.%d" % (major, minor, patch)
    return {
        "PUBLIC_VERSION": "%d.%d.%d.%d" % (major, minor, build, patch),
        "VX_VERSION": vx_version,
        "BUILD_NUM": str(build),
        "BUILD_TAG": "RELEASE_%s_GA_%d_%s_INMAGE" % (vx_version, build, date.strftime("%b_%d_%Y")),
        "OS_BUILT_FOR": OS_BUILT_FOR,
        "RELEASE_DATE": date.isoformat(),
    }


def render(template, values):
    with open(os.path.join(PAYLOAD_DIR, template)) as f:
        text = f.read()

    def replace(match):
        if match.group(1) not in values:
            raise BuildError("%s: unknown template token @%s@" % (template, match.group(1)))
        return values[match.group(1)]

    text = _TOKEN.sub(replace, text)
    if template.endswith(".py"):
        text = PYTHON_SHEBANG + text
    return text.encode("utf-8")


def _add(tar, name, data, mode, mtime):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    info.mtime = mtime
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    tar.addfile(info, io.BytesIO(data))


def package_files(settings, version):
    """[(path in the tarball, bytes, mode)] of the package, in tarball order."""
    values = tokens(version)
    files = [(dest, render(template, values), mode) for template, dest, mode in MANIFEST]
    with open(ca.ensure_ca(settings.ca_dir), "rb") as f:
        files.append(("Vx/etc/lab-ca.pem", f.read(), 0o644))
    return sorted(files)


def build_installer(settings, version=LAB_VERSIONS[-1]):
    """Build (or rebuild, identically) the tarball of `version`; returns its path."""
    out_dir = settings.path("mobility")
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, tarball_name(version))
    mtime = int(datetime.datetime.combine(release_date(version), datetime.time(),
                                          datetime.timezone.utc).timestamp())
    files = package_files(settings, version)
    dirs = set()
    for entry in files:
        parent = os.path.dirname(entry[0])
        while parent:
            dirs.add(parent)
            parent = os.path.dirname(parent)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name in sorted(dirs):
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            info.mtime = mtime
            info.uname = info.gname = "root"
            tar.addfile(info)
        for name, data, mode in files:
            _add(tar, name, data, mode, mtime)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0) as gz:
            gz.write(raw.getvalue())
    os.replace(tmp, path)
    return path


def build_all(settings, versions=LAB_VERSIONS):
    return [build_installer(settings, v) for v in versions]
